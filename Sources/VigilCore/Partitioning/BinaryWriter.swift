/// Little-endian fields for the stages' internal topics (`ScanOutputCodec`, `RoutedMessageCodec`).
/// Binary, not JSON: a finding's doubles must reach the lifecycle bit for bit, or the alert the
/// lifecycle writes would differ from one engine's in its last digit.
struct BinaryWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    /// Raw bytes (a nested message, an incident's own bytes); the reader needs their length first.
    mutating func raw(_ v: [UInt8]) { bytes.append(contentsOf: v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func int(_ v: Int) { i64(Int64(v)) }
    mutating func double(_ v: Double) { u64(v.bitPattern) }
    mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
    mutating func string(_ v: String) {
        let utf8 = Array(v.utf8)
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }
    mutating func optionalString(_ v: String?) {
        bool(v != nil)
        if let v { string(v) }
    }
    mutating func cell(_ c: GridCell) {
        i32(c.x)
        i32(c.y)
    }
}
