import VigilCore

/// Accepted incidents as packed 128-byte records, what the page's ring (`RecentIncidents`) and the
/// loop's hand-over batch keep: event time, coordinates, and the id, category and neighbourhood
/// as UTF-8 bytes in the record. No `String` is held, so keeping an incident retains nothing and
/// overwriting a record frees nothing (see `RecentIncidents`). Text longer than a record holds
/// (rare: ids and names are short) is kept aside as strings.
struct IncidentRecords: Sendable {
    static let stride = 128
    /// Where the text starts in a record; its bytes run to the record's end.
    private static let textStart = 32
    private static let textBytes = stride - textStart
    /// A neighbourhood length that says there is none.
    private static let noNeighbourhood = UInt16.max
    private static let blank = [UInt8](repeating: 0, count: stride)

    private var bytes: [UInt8] = []
    /// Records whose text did not fit, by index.
    private var overflow: [Int: (id: String, category: String, neighbourhood: String?)] = [:]

    var count: Int { bytes.count / Self.stride }
    var isEmpty: Bool { bytes.isEmpty }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        overflow.removeAll()
    }

    /// Appends one incident's record.
    mutating func append(
        id: String, eventTime: Timestamp, category: String, neighbourhood: String?, latitude: Double, longitude: Double
    ) {
        let at = count
        bytes.append(contentsOf: Self.blank)
        let neighbourhoodLength = neighbourhood?.utf8.count ?? 0
        let fits = id.utf8.count + category.utf8.count + neighbourhoodLength <= Self.textBytes
        bytes.withUnsafeMutableBytes { raw in
            let record = raw.baseAddress! + at * Self.stride
            record.storeBytes(of: eventTime.milliseconds, as: Int64.self)
            record.storeBytes(of: latitude.bitPattern, toByteOffset: 8, as: UInt64.self)
            record.storeBytes(of: longitude.bitPattern, toByteOffset: 16, as: UInt64.self)
            guard fits else {
                record.storeBytes(of: 1, toByteOffset: 30, as: UInt16.self)
                return
            }
            var text = record + Self.textStart
            record.storeBytes(of: UInt16(Self.write(id, to: &text)), toByteOffset: 24, as: UInt16.self)
            record.storeBytes(of: UInt16(Self.write(category, to: &text)), toByteOffset: 26, as: UInt16.self)
            let n = neighbourhood.map { UInt16(Self.write($0, to: &text)) } ?? Self.noNeighbourhood
            record.storeBytes(of: n, toByteOffset: 28, as: UInt16.self)
        }
        if !fits { overflow[at] = (id, category, neighbourhood) }
    }

    /// Appends a copy of `other`'s record `k`.
    mutating func append(from other: IncidentRecords, at k: Int) {
        let at = count
        bytes.append(contentsOf: other.bytes[(k * Self.stride)..<((k + 1) * Self.stride)])
        if let text = other.overflow[k] { overflow[at] = text }
    }

    /// Overwrites record `i` with a copy of `other`'s record `k`.
    mutating func replace(at i: Int, from other: IncidentRecords, at k: Int) {
        bytes.withUnsafeMutableBytes { to in
            other.bytes.withUnsafeBytes { from in
                (to.baseAddress! + i * Self.stride).copyMemory(from: from.baseAddress! + k * Self.stride, byteCount: Self.stride)
            }
        }
        overflow[i] = other.overflow[k]
    }

    /// Record `i`'s incident.
    func entry(at i: Int) -> RecentIncidents.Entry {
        let (id, category, neighbourhood) = text(at: i)
        return bytes.withUnsafeBytes { raw in
            let record = raw.baseAddress! + i * Self.stride
            return RecentIncidents.Entry(
                id: id, eventTime: Timestamp(milliseconds: record.loadUnaligned(as: Int64.self)), category: category,
                neighbourhood: neighbourhood, latitude: Double(bitPattern: record.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                longitude: Double(bitPattern: record.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
        }
    }

    /// Whether record `i`'s id is one of `wanted` (UTF-8 bytes by length), compared byte for byte
    /// in place (ids are looked up as alerts cite them): a search of the whole ring builds no strings.
    func id(at i: Int, isIn wanted: [Int: [[UInt8]]]) -> Bool {
        if let text = overflow[i] { return wanted[text.id.utf8.count]?.contains(Array(text.id.utf8)) ?? false }
        return bytes.withUnsafeBytes { raw in
            let record = raw.baseAddress! + i * Self.stride
            let length = Int(record.loadUnaligned(fromByteOffset: 24, as: UInt16.self))
            guard let candidates = wanted[length] else { return false }
            let id = UnsafeRawBufferPointer(start: record + Self.textStart, count: length)
            return candidates.contains { $0.elementsEqual(id) }
        }
    }

    private func text(at i: Int) -> (id: String, category: String, neighbourhood: String?) {
        if let text = overflow[i] { return text }
        return bytes.withUnsafeBytes { raw in
            let record = raw.baseAddress! + i * Self.stride
            var text = record + Self.textStart
            func read(_ length: Int) -> String {
                defer { text += length }
                return String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self)
            }
            let id = read(Int(record.loadUnaligned(fromByteOffset: 24, as: UInt16.self)))
            let category = read(Int(record.loadUnaligned(fromByteOffset: 26, as: UInt16.self)))
            let n = record.loadUnaligned(fromByteOffset: 28, as: UInt16.self)
            return (id, category, n == Self.noNeighbourhood ? nil : read(Int(n)))
        }
    }

    /// Copies `s`'s UTF-8 bytes to `text` and moves it past them; returns how many.
    private static func write(_ s: String, to text: inout UnsafeMutableRawPointer) -> Int {
        let written =
            s.utf8.withContiguousStorageIfAvailable { utf8 in
                if let from = utf8.baseAddress { text.copyMemory(from: from, byteCount: utf8.count) }
                return utf8.count
            }
            ?? {
                let utf8 = Array(s.utf8)
                utf8.withUnsafeBytes { if let from = $0.baseAddress { text.copyMemory(from: from, byteCount: utf8.count) } }
                return utf8.count
            }()
        text += written
        return written
    }
}
