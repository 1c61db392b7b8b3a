/// Maps names (categories, neighbourhoods) to small integers so aggregate keys pack into a
/// `UInt64`: hashing an integer per event instead of a string.
///
/// Ids are given in order of first appearance, so they are deterministic for a given input.
public struct Interner: Sendable {
    private var ids: [String: UInt16] = [:]
    public private(set) var names: [String] = []
    /// The largest id handed out; beyond it `id(for:)` returns nil (a hard cap).
    public static let capacity = 0xFFFE

    /// ASCII names already known, by an FNV-1a hash of their bytes (open addressing: the id, or
    /// `vacant`). Every incident looks up its category and neighbourhood several times, and the
    /// dictionary's SipHash over the string was ~500 instructions a lookup; for ASCII, byte
    /// equality is string equality, so this table answers the same. Other names (and misses) go
    /// through `ids`, which compares by canonical equivalence.
    private var ascii = [UInt16](repeating: Interner.vacant, count: 64)
    private var asciiHashes = [UInt64](repeating: 0, count: 64)
    private var asciiCount = 0
    private static let vacant = UInt16.max

    public init() {}

    public var count: Int { names.count }

    public mutating func id(for name: String) -> UInt16? {
        let hash = Self.asciiHash(name)
        if let hash, let id = asciiID(name, hash) { return id }
        let id: UInt16
        if let known = ids[name] {
            id = known
        } else {
            guard names.count < Self.capacity else { return nil }
            id = UInt16(names.count)
            ids[name] = id
            names.append(name)
        }
        if let hash { rememberASCII(id, hash) }
        return id
    }

    public func existingID(for name: String) -> UInt16? {
        if let hash = Self.asciiHash(name), let id = asciiID(name, hash) { return id }
        return ids[name]
    }

    /// FNV-1a over the UTF-8 bytes, or nil when a byte is not ASCII.
    @inline(__always) private static func asciiHash(_ name: String) -> UInt64? {
        @inline(__always) func fnv(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            var high: UInt8 = 0
            for byte in bytes {
                high |= byte
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
            return high < 0x80 ? hash : nil
        }
        // Native strings (all the decoder makes) are contiguous UTF-8; others are copied once.
        if let hash = name.utf8.withContiguousStorageIfAvailable(fnv) { return hash }
        return Array(name.utf8).withUnsafeBufferPointer(fnv)
    }

    @inline(__always) private func asciiID(_ name: String, _ hash: UInt64) -> UInt16? {
        let mask = ascii.count - 1
        var i = Int(truncatingIfNeeded: hash >> 7) & mask
        while true {
            let id = ascii[i]
            if id == Self.vacant { return nil }
            if asciiHashes[i] == hash, names[Int(id)] == name { return id }
            i = (i + 1) & mask
        }
    }

    /// Adds `names[id]` (ASCII, hash `hash`, not in the table) to the ASCII table.
    private mutating func rememberASCII(_ id: UInt16, _ hash: UInt64) {
        if (asciiCount + 1) * 2 > ascii.count {
            let old = zip(ascii, asciiHashes).filter { $0.0 != Self.vacant }
            ascii = [UInt16](repeating: Self.vacant, count: ascii.count * 2)
            asciiHashes = [UInt64](repeating: 0, count: ascii.count)
            asciiCount = 0
            for (known, knownHash) in old { place(known, knownHash) }
        }
        place(id, hash)
    }

    private mutating func place(_ id: UInt16, _ hash: UInt64) {
        let mask = ascii.count - 1
        var i = Int(truncatingIfNeeded: hash >> 7) & mask
        while ascii[i] != Self.vacant { i = (i + 1) & mask }
        ascii[i] = id
        asciiHashes[i] = hash
        asciiCount += 1
    }

    public func name(_ id: UInt16) -> String { names[Int(id)] }
}
