import Testing

@testable import VigilCore

@Suite("JSONScanner")
struct JSONScannerTests {
    /// `scanString`'s answer one byte at a time, as the scanner read strings before it took eight
    /// plain bytes at a time: the end of the string and whether it has escapes, or nil when the
    /// scanner must reject it.
    static func referenceScan(_ bytes: [UInt8]) -> (end: Int, escaped: Bool)? {
        guard bytes.first == 0x22 else { return nil }
        var i = 1
        var escaped = false
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x22 {
                guard String(validating: bytes[1..<i], as: UTF8.self) != nil else { return nil }
                return (i, escaped)
            }
            if c == 0x5C {
                escaped = true
                guard i + 1 < bytes.count else { return nil }
                switch bytes[i + 1] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: i += 2
                case 0x75:
                    guard i + 6 <= bytes.count, bytes[(i + 2)..<(i + 6)].allSatisfy(Self.isHexDigit) else { return nil }
                    i += 6
                default: return nil
                }
                continue
            }
            if c < 0x20 { return nil }
            i += 1
        }
        return nil
    }

    static func isHexDigit(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) || (0x41...0x46).contains(c) || (0x61...0x66).contains(c) }

    @Test("strings scan as one byte at a time would: plain runs, escapes, controls, UTF-8, at every offset")
    func scanStringEqualsByteReference() {
        var rng = SplitMix64(seed: 0x5CA7)
        // Long plain runs (the eight-byte path), then every byte that stops it, at random places.
        let pieces: [[UInt8]] = [
            Array("abcdefghij".utf8), Array("Break and Enter".utf8), Array("x".utf8), [0xC3, 0xA9], [0xE2, 0x82, 0xAC],
            Array(#"\""#.utf8), Array(#"\\"#.utf8), Array(#"\n"#.utf8), Array(#"\u00e9"#.utf8), Array(#"\u12G4"#.utf8),
            Array(#"\x"#.utf8), [0x5C], [0x01], [0x1F], [0x20], [0x7F], [0xFF], [0xC3], [0x22], [0x21], [0x23], [0x5B], [0x5D]
        ]
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes: [UInt8] = [0x22]
            for _ in 0..<Int.random(in: 0...12, using: &rng) { bytes += pieces[Int.random(in: 0..<pieces.count, using: &rng)] }
            if Int.random(in: 0..<4, using: &rng) != 0 { bytes.append(0x22) }
            bytes += Array("}".utf8).prefix(Int.random(in: 0...1, using: &rng))
            let expected = Self.referenceScan(bytes)
            let got: (end: Int, escaped: Bool)? = bytes.withUnsafeBytes { raw in
                var scanner = JSONScanner(raw)
                guard let (start, end, escaped) = try? scanner.scanString() else { return nil }
                #expect(start == 1 && scanner.index == end + 1)
                return (end, escaped)
            }
            #expect(got?.end == expected?.end && got?.escaped == expected?.escaped, "\(bytes)")
            if expected != nil { accepted += 1 }
        }
        #expect(accepted > 3_000 && accepted < 17_000, "both outcomes are exercised: \(accepted) accepted")
    }

    @Test("the eight-byte test marks the first quote, backslash or control byte in any lane, and nothing before it")
    func eightByteTest() {
        for lane in 0..<8 {
            for byte in 0...255 {
                for later in [UInt8(0x61), 0x22, 0x00] {  // a plain, a quote or a NUL byte after it
                    var word = [UInt8](repeating: 0x61, count: 8)  // "aaaaaaaa"
                    word[lane] = UInt8(byte)
                    if lane < 7 { word[7] = later }
                    let value = word.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    let special = byte == 0x22 || byte == 0x5C || byte < 0x20
                    let first = word.firstIndex { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 }
                    let marked = JSONScanner.quoteBackslashOrControl(value)
                    #expect((marked == 0 ? nil : marked.trailingZeroBitCount / 8) == first, "byte \(byte) in lane \(lane), then \(later)")
                    if special { #expect(first == lane) }
                }
            }
        }
    }
}
