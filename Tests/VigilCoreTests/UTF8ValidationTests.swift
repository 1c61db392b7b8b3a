import Testing

@testable import VigilCore

@Suite("UTF8Validation")
struct UTF8ValidationTests {
    func valid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { UTF8Validation.isValid($0) } }

    @Test(
        "accepts well-formed UTF-8",
        arguments: [
            [], Array("plain ASCII".utf8), Array("é中😀".utf8), [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80],
            [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF]
        ] as [[UInt8]])
    func accepts(bytes: [UInt8]) {
        #expect(valid(bytes))
    }

    @Test(
        "rejects overlongs, surrogates, out-of-range and truncated sequences",
        arguments: [
            [0xFF], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xE0, 0x9F, 0xBF], [0xED, 0xA0, 0x80],
            [0xED, 0xBF, 0xBF], [0xF0, 0x80, 0x80, 0xAF], [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80], [0x80], [0xBF], [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3, 0x28],
            [0xE2, 0x28, 0xA1], [0x61, 0xFE]
        ] as [[UInt8]])
    func rejects(bytes: [UInt8]) {
        #expect(!valid(bytes))
    }

    /// Differential property against the standard library's validating decoder.
    @Test("agrees with String(validating:) on random byte strings")
    func agreesWithStandardLibrary() {
        var rng = SplitMix64(seed: 0x0717F8)
        let fragments: [[UInt8]] = [[0x41], [0xC3, 0xA9], [0xE4, 0xB8, 0xAD], [0xF0, 0x9F, 0x98, 0x80], [0xED, 0x9F, 0xBF]]
        for k in 0..<3000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &rng) {
                if k % 3 == 0 || Int.random(in: 0..<8, using: &rng) == 0 {
                    bytes.append(UInt8.random(in: 0...255, using: &rng))
                } else {
                    bytes += fragments.randomElement(using: &rng)!
                }
            }
            #expect(valid(bytes) == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }
}
