/// Builds compact JSON into a byte buffer with a fixed key order, so equal values always give
/// byte-identical output (alert ids and replays depend on it).
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    public mutating func beginObject() {
        separate()
        bytes.append(0x7B)
        needsComma = false
    }
    public mutating func endObject() {
        bytes.append(0x7D)
        needsComma = true
    }
    public mutating func beginArray() {
        separate()
        bytes.append(0x5B)
        needsComma = false
    }
    public mutating func endArray() {
        bytes.append(0x5D)
        needsComma = true
    }

    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(0x22)
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(0x22)
        bytes.append(0x3A)
        needsComma = false
    }

    /// A key known only at run time (escaped like any string).
    public mutating func dynamicKey(_ name: String) {
        string(name)
        bytes.append(0x3A)
        needsComma = false
    }

    /// Inserts an already-encoded JSON value verbatim.
    public mutating func rawJSON(_ encoded: [UInt8]) {
        separate()
        bytes.append(contentsOf: encoded)
        needsComma = true
    }

    public mutating func string(_ value: String) {
        separate()
        bytes.append(0x22)
        for b in value.utf8 {
            switch b {
            case 0x22:
                bytes.append(0x5C)
                bytes.append(0x22)
            case 0x5C:
                bytes.append(0x5C)
                bytes.append(0x5C)
            case 0x0A:
                bytes.append(0x5C)
                bytes.append(0x6E)
            case 0x0D:
                bytes.append(0x5C)
                bytes.append(0x72)
            case 0x09:
                bytes.append(0x5C)
                bytes.append(0x74)
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: bytes.append(b)
            }
        }
        bytes.append(0x22)
        needsComma = true
    }

    public mutating func timestamp(_ value: Timestamp) {
        separate()
        bytes.append(0x22)
        RFC3339.append(value, to: &bytes)
        bytes.append(0x22)
        needsComma = true
    }

    public mutating func int(_ value: Int) { raw(String(value)) }

    /// Shortest round-tripping decimal; non-finite values become null (JSON has no NaN).
    public mutating func double(_ value: Double) {
        value.isFinite ? raw(value.description) : null()
    }

    /// Rounded to `decimals` places (coordinates: 6 places is ~0.1 m).
    public mutating func double(_ value: Double, decimals: Int) {
        guard value.isFinite else { return null() }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        double((value * scale).rounded() / scale)
    }

    public mutating func bool(_ value: Bool) { raw(value ? "true" : "false") }
    public mutating func null() { raw("null") }

    private mutating func raw(_ text: String) {
        separate()
        bytes.append(contentsOf: text.utf8)
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(0x2C) }
    }
}
