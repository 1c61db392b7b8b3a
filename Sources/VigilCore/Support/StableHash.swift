/// A 64-bit FNV-1a hash: stable across processes and platforms (unlike `Hasher`), so ids derived
/// from content are the same on every replay.
public struct StableHash: Sendable {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    public mutating func combine(_ text: String) {
        for byte in text.utf8 { combineByte(byte) }
        combineByte(0x1F)  // unit separator: "ab"+"c" differs from "a"+"bc"
    }

    public mutating func combine(_ number: Int64) {
        var n = UInt64(bitPattern: number)
        for _ in 0..<8 {
            combineByte(UInt8(truncatingIfNeeded: n))
            n >>= 8
        }
    }

    /// One byte, no separator (hashing a whole file's bytes).
    public mutating func combineRaw(_ byte: UInt8) { combineByte(byte) }

    @inline(__always) private mutating func combineByte(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    /// 16 lowercase hex digits.
    public var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
