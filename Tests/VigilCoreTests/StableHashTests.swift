import Testing

@testable import VigilCore

@Suite("StableHash")
struct StableHashTests {
    @Test("empty hash is the FNV-1a offset basis")
    func empty() {
        #expect(StableHash().value == 0xCBF2_9CE4_8422_2325)
        #expect(StableHash().hex == "cbf29ce484222325")
    }

    /// Pinned values: alert ids are built from this hash, so it must never change.
    @Test("fixed inputs give fixed values")
    func pinned() {
        var h = StableHash()
        h.combine("vigil")
        #expect(h.hex == "7bd66ad762fb9225")
        h.combine(Int64(1_393_765_200_000))
        #expect(h.hex == "e10bd7fc6928a991")
        var negative = StableHash()
        negative.combine(Int64(-1))
        #expect(negative.hex == "8cf51a8bfca3883d")
    }

    @Test("hex is 16 lowercase digits, zero-padded")
    func hexForm() {
        var rng = SplitMix64(seed: 0x4E8)
        for _ in 0..<500 {
            var h = StableHash()
            h.combine(Int64(bitPattern: rng.next()))
            #expect(h.hex.count == 16)
            #expect(h.hex.allSatisfy { "0123456789abcdef".contains($0) })
            #expect(UInt64(h.hex, radix: 16) == h.value)
        }
    }

    @Test("the separator keeps field boundaries: combine(ab, c) != combine(a, bc)")
    func boundaries() {
        var a = StableHash()
        var b = StableHash()
        a.combine("ab")
        a.combine("c")
        b.combine("a")
        b.combine("bc")
        #expect(a.value != b.value)
        var c = StableHash()
        var d = StableHash()
        c.combine("")
        c.combine("x")
        d.combine("x")
        d.combine("")
        #expect(c.value != d.value)
    }

    @Test("same input, same value; order matters")
    func determinism() {
        var a = StableHash()
        var b = StableHash()
        var c = StableHash()
        a.combine("x")
        a.combine(Int64(5))
        b.combine("x")
        b.combine(Int64(5))
        c.combine(Int64(5))
        c.combine("x")
        #expect(a.value == b.value && a.value != c.value)
    }
}
