import Testing

@testable import VigilCore

@Suite("Watermark")
struct WatermarkTests {
    @Test("nothing is late before the first event")
    func empty() {
        let w = Watermark(allowedLateness: .hours(1))
        #expect(w.current == nil && w.maxEventTime == nil)
        #expect(!w.isLate(Timestamp(milliseconds: .min / 2)))
    }

    @Test("late means strictly below max - lateness")
    func strictness() {
        var w = Watermark(allowedLateness: .hours(1))
        let max = Timestamp(seconds: 1_393_765_200)
        w.observe(max)
        #expect(w.current == max - .hours(1))
        #expect(w.isLate(max - .hours(1) - EventDuration(milliseconds: 1)))
        #expect(!w.isLate(max - .hours(1)))
        #expect(!w.isLate(max - .minutes(30)))
        #expect(!w.isLate(max + .hours(5)))
        #expect(w.isLate(max - .hours(2)))
    }

    @Test("zero lateness: only events before the newest are late")
    func zeroLateness() {
        var w = Watermark(allowedLateness: EventDuration(milliseconds: 0))
        w.observe(Timestamp(milliseconds: 10))
        #expect(!w.isLate(Timestamp(milliseconds: 10)))
        #expect(w.isLate(Timestamp(milliseconds: 9)))
    }

    @Test("observe is monotone (random sequences)")
    func monotone() {
        var rng = SplitMix64(seed: 0x3A7E2)
        for _ in 0..<50 {
            var w = Watermark(allowedLateness: .minutes(Int64.random(in: 0...120, using: &rng)))
            var maxSeen: Int64?
            var previous: Timestamp?
            for _ in 0..<40 {
                let t = Int64.random(in: -1_000_000_000...1_000_000_000, using: &rng)
                w.observe(Timestamp(milliseconds: t))
                maxSeen = Swift.max(maxSeen ?? t, t)
                #expect(w.maxEventTime == Timestamp(milliseconds: maxSeen!))
                #expect(w.current == Timestamp(milliseconds: maxSeen!) - w.allowedLateness)
                if let previous, let current = w.current { #expect(current >= previous) }
                previous = w.current
            }
        }
    }
}
