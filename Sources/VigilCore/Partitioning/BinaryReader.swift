/// Reads what `BinaryWriter` wrote; every read checks the bounds, so truncated or foreign bytes
/// give an error naming the field, never a crash.
struct BinaryReader {
    private let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    private mutating func take(_ n: Int, _ field: String) throws(MalformedStageMessage) -> ArraySlice<UInt8> {
        guard n >= 0, bytes.count - position >= n else {
            throw MalformedStageMessage(reason: "truncated at byte \(position) reading \(field)")
        }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    /// `n` raw bytes (a nested message, an incident's own bytes).
    mutating func bytes(_ n: Int, _ field: String) throws(MalformedStageMessage) -> ArraySlice<UInt8> { try take(n, field) }
    mutating func u8(_ field: String) throws(MalformedStageMessage) -> UInt8 { try take(1, field).first! }
    mutating func u32(_ field: String) throws(MalformedStageMessage) -> UInt32 {
        try take(4, field).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
    mutating func u64(_ field: String) throws(MalformedStageMessage) -> UInt64 {
        try take(8, field).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
    mutating func i32(_ field: String) throws(MalformedStageMessage) -> Int32 { Int32(bitPattern: try u32(field)) }
    mutating func i64(_ field: String) throws(MalformedStageMessage) -> Int64 { Int64(bitPattern: try u64(field)) }
    mutating func int(_ field: String) throws(MalformedStageMessage) -> Int { Int(try i64(field)) }
    mutating func double(_ field: String) throws(MalformedStageMessage) -> Double { Double(bitPattern: try u64(field)) }
    mutating func bool(_ field: String) throws(MalformedStageMessage) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let b: throw MalformedStageMessage(reason: "\(field): \(b) is not a boolean")
        }
    }
    mutating func string(_ field: String) throws(MalformedStageMessage) -> String {
        let n = Int(try u32(field))
        guard let s = String(validating: try take(n, field), as: UTF8.self) else {
            throw MalformedStageMessage(reason: "\(field): not UTF-8")
        }
        return s
    }
    mutating func optionalString(_ field: String) throws(MalformedStageMessage) -> String? {
        try bool(field) ? try string(field) : nil
    }
    mutating func cell(_ field: String) throws(MalformedStageMessage) -> GridCell { GridCell(x: try i32(field), y: try i32(field)) }
    /// A count of items that follow, each at least `minimumBytes` long: checked against what is
    /// left, so a corrupt count cannot make a reader allocate without bound.
    mutating func count(_ field: String, minimumBytes: Int) throws(MalformedStageMessage) -> Int {
        let n = Int(try u32(field))
        guard n * max(minimumBytes, 1) <= bytes.count - position else {
            throw MalformedStageMessage(reason: "\(field): count \(n) exceeds the message")
        }
        return n
    }
}
