/// The incident ids `RecentIncidents` keeps for citations, as UTF-8 bytes in chunks, so that its
/// per-cell lists hold plain values.
///
/// Why: each list entry used to hold the id as a `String`, a reference to the decoder's heap
/// object. Appending retained it (an atomic operation on a line the decoding thread had just
/// written), and the entry's removal, days of event time later, released it, most often the last
/// release: a free of memory long gone from the cache, on every incident. Here an id is copied
/// once, into the newest chunk, and a chunk is freed when the last id stored in it is released.
/// Memory follows the ids still referenced, a few chunks at a city's rate.
struct CitedIDStore: Sendable {
    /// Where one stored id's bytes are.
    struct Ref: Sendable, Equatable {
        var chunk: UInt32
        var offset: UInt32
        var length: UInt32
    }

    /// Bytes per chunk (an id longer than this gets a chunk of its own size).
    static let chunkBytes = 16 * 1024

    /// By chunk number − `first`, allocated in full; a freed chunk is empty until the ones before
    /// it are freed too.
    private var chunks: [[UInt8]] = []
    /// Bytes written to the newest chunk.
    private var used = 0
    /// Ids stored and not yet released, per chunk (same index as `chunks`).
    private var live: [Int] = []
    /// The number of `chunks[0]`.
    private var first: UInt32 = 0

    /// Chunks holding at least one id (tests: memory follows the ids still referenced).
    var liveChunks: Int { live.count { $0 > 0 } }

    /// Copies `id`'s bytes in and returns where they are; each `store` needs one `release`.
    mutating func store(_ id: String) -> Ref {
        let length = id.utf8.count
        if chunks.isEmpty || used + length > chunks[chunks.count - 1].count {
            chunks.append([UInt8](repeating: 0, count: max(Self.chunkBytes, length)))
            live.append(0)
            used = 0
        }
        let last = chunks.count - 1
        let offset = used
        chunks[last].withUnsafeMutableBufferPointer { chunk in
            // One copy where the string has its bytes in one piece (always, for native strings).
            let copied: Bool? = id.utf8.withContiguousStorageIfAvailable { bytes in
                if let from = bytes.baseAddress {
                    UnsafeMutableRawPointer(chunk.baseAddress! + offset).copyMemory(from: from, byteCount: bytes.count)
                }
                return true
            }
            if copied == nil { _ = UnsafeMutableBufferPointer(rebasing: chunk[offset...]).initialize(from: id.utf8) }
        }
        used += length
        live[last] += 1
        return Ref(chunk: first &+ UInt32(last), offset: UInt32(offset), length: UInt32(length))
    }

    /// The id stored at `ref` (not yet released).
    func string(_ ref: Ref) -> String {
        let chunk = chunks[Int(ref.chunk &- first)]
        let start = Int(ref.offset)
        return String(decoding: chunk[start..<(start + Int(ref.length))], as: UTF8.self)
    }

    /// Forgets the id at `ref`; frees its chunk when it was the chunk's last (the newest chunk is
    /// emptied for reuse instead).
    mutating func release(_ ref: Ref) {
        let i = Int(ref.chunk &- first)
        live[i] -= 1
        guard live[i] == 0 else { return }
        if i == chunks.count - 1 {
            used = 0
            return
        }
        chunks[i] = []
        var freed = 0
        while freed < chunks.count - 1, live[freed] == 0 { freed += 1 }
        if freed > 0 {
            chunks.removeFirst(freed)
            live.removeFirst(freed)
            first &+= UInt32(freed)
        }
    }
}
