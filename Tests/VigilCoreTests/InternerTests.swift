import Testing

@testable import VigilCore

@Suite("Interner")
struct InternerTests {
    @Test("ids are given in order of first appearance and are stable")
    func firstAppearance() {
        var interner = Interner()
        #expect(interner.count == 0 && interner.existingID(for: "Assault") == nil)
        #expect(["Assault", "Robbery", "Assault", "", "Robbery", "Théft"].map { interner.id(for: $0) } == [0, 1, 0, 2, 1, 3])
        #expect(interner.names == ["Assault", "Robbery", "", "Théft"] && interner.count == 4)
        #expect(interner.existingID(for: "Robbery") == 1 && interner.existingID(for: "robbery") == nil)
        #expect((0..<4).map { interner.name(UInt16($0)) } == interner.names)
    }

    /// The ASCII table answers what the dictionary would: the same ids over many names (its
    /// growth included), and a non-ASCII name canonically equal to an ASCII one (the Kelvin sign
    /// and K) shares its id whichever comes first.
    @Test("lookups agree with a dictionary, across growth and canonical equivalence")
    func agreesWithADictionary() {
        var interner = Interner()
        var reference: [String: UInt16] = [:]
        var rng = SplitMix64(seed: 5)
        for _ in 0..<20_000 {
            let name = rng.next() % 7 == 0 ? "Théft \(rng.next() % 50)" : "n\(rng.next() % 3_000)"
            let want = reference[name] ?? UInt16(reference.count)
            reference[name] = want
            #expect(interner.id(for: name) == want)
            #expect(interner.existingID(for: name) == want)
        }
        #expect(interner.existingID(for: "never seen") == nil)
        var a = Interner()
        #expect(a.id(for: "\u{212A}") == 0 && a.id(for: "K") == 0 && a.existingID(for: "K") == 0)
        var b = Interner()
        #expect(b.id(for: "K") == 0 && b.id(for: "\u{212A}") == 0 && b.existingID(for: "\u{212A}") == 0)
    }

    @Test("beyond capacity new names get no id; known names keep theirs")
    func capacity() {
        var interner = Interner()
        for k in 0..<Interner.capacity { _ = interner.id(for: "n\(k)") }
        #expect(interner.count == Interner.capacity && Interner.capacity == 0xFFFE)
        #expect(interner.id(for: "one more") == nil && interner.existingID(for: "one more") == nil)
        #expect(interner.count == Interner.capacity)
        #expect(interner.id(for: "n0") == 0 && interner.id(for: "n\(Interner.capacity - 1)") == UInt16(Interner.capacity - 1))
    }
}

@Suite("EvidenceRing")
struct EvidenceRingTests {
    @Test("keeps the 16 most recent ids and selects [start, end) oldest first")
    func window() {
        var ring = EvidenceRing()
        for k in 0..<20 { ring.append(time: Timestamp(seconds: Int64(k)), id: "e\(k)") }
        #expect(ring.ids(from: Timestamp(seconds: 0), to: Timestamp(seconds: 100)) == (4..<20).map { "e\($0)" })
        #expect(ring.ids(from: Timestamp(seconds: 10), to: Timestamp(seconds: 12)) == ["e10", "e11"], "end exclusive")
        #expect(ring.ids(from: Timestamp(seconds: 20), to: Timestamp(seconds: 30)) == [])
    }

    @Test("before it is full, it holds everything in order")
    func partial() {
        var ring = EvidenceRing()
        #expect(ring.ids(from: Timestamp(seconds: 0), to: Timestamp(seconds: 100)) == [])
        for k in 0..<5 { ring.append(time: Timestamp(seconds: Int64(k)), id: "e\(k)") }
        #expect(ring.ids(from: Timestamp(seconds: 0), to: Timestamp(seconds: 100)) == ["e0", "e1", "e2", "e3", "e4"])
        for k in 5..<16 { ring.append(time: Timestamp(seconds: Int64(k)), id: "e\(k)") }
        #expect(ring.ids(from: Timestamp(seconds: 0), to: Timestamp(seconds: 100)) == (0..<16).map { "e\($0)" }, "exactly full")
        ring.append(time: Timestamp(seconds: 16), id: "e16")
        #expect(ring.ids(from: Timestamp(seconds: 0), to: Timestamp(seconds: 100)) == (1...16).map { "e\($0)" })
    }

    @Test("keeps arrival order for late events")
    func lateEvents() {
        var ring = EvidenceRing()
        ring.append(time: Timestamp(seconds: 10), id: "a")
        ring.append(time: Timestamp(seconds: 5), id: "late")
        ring.append(time: Timestamp(seconds: 11), id: "b")
        #expect(ring.ids(from: Timestamp(seconds: 0), to: Timestamp(seconds: 20)) == ["a", "late", "b"])
        #expect(ring.ids(from: Timestamp(seconds: 6), to: Timestamp(seconds: 20)) == ["a", "b"])
    }
}
