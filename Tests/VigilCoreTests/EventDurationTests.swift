import Testing

@testable import VigilCore

@Suite("EventDuration parsing and description")
struct EventDurationTests {
    @Test(
        "parses unit strings",
        arguments: [
            ("15m", Int64(900_000)),
            ("1h", 3_600_000),
            ("24h", 86_400_000),
            ("7d", 604_800_000),
            ("1h30m", 5_400_000),
            ("500ms", 500),
            ("30s", 30_000),
            ("0s", 0),
            ("1d2h3m4s5ms", 93_784_005),
            ("90m", 5_400_000),
            (" 1h ", 3_600_000)
        ])
    func parses(text: String, millis: Int64) {
        #expect(EventDuration.parse(text) == EventDuration(milliseconds: millis))
    }

    @Test(
        "rejects anything else",
        arguments: [
            "", " ", "1x", "h", "-1h", "+1h", "1", "1.5h", "1 h", "1h 30m", "1H", "ms", "1hh", "1mss",
            "h1", "1h-", "１h",
            "9223372036854775808ms",  // does not fit Int64
            "106751991167301d",  // days overflow when converted to milliseconds
            "2562047788016h"
        ])
    func rejects(text: String) {
        #expect(EventDuration.parse(text) == nil)
    }

    /// Each part fits, but their sum does not. Runs in a child process because `parse` traps on
    /// `total += product` (unchecked addition) instead of returning nil.
    @Test("rejects a sum of parts that overflows instead of trapping")
    func sumOverflow() async {
        await #expect(processExitsWith: .success) {
            precondition(EventDuration.parse("5000000000000000000ms5000000000000000000ms") == nil)
            precondition(EventDuration.parse("106751991167d106751991167d") == nil)
        }
    }

    @Test("constructors agree with parse")
    func constructors() {
        #expect(EventDuration.seconds(30) == EventDuration.parse("30s"))
        #expect(EventDuration.minutes(15) == EventDuration.parse("15m"))
        #expect(EventDuration.hours(24) == EventDuration.parse("24h"))
        #expect(EventDuration.days(7) == EventDuration.parse("7d"))
    }

    @Test(
        "description",
        arguments: [
            (Int64(0), "0s"), (500, "500ms"), (30_000, "30s"), (900_000, "15m"), (5_400_000, "1h30m"),
            (86_400_000, "1d"), (93_784_005, "1d2h3m4s5ms"), (-3_600_000, "-1h")
        ])
    func describes(millis: Int64, text: String) {
        #expect(EventDuration(milliseconds: millis).description == text)
    }

    @Test("parse(description) round-trips random non-negative durations")
    func descriptionRoundTrip() {
        var rng = SplitMix64(seed: 0xD0D0)
        for k in 0..<2000 {
            // Mix of small, unit-aligned and arbitrary values.
            let ms: Int64 =
                switch k % 3 {
                case 0: Int64.random(in: 0...10_000, using: &rng)
                case 1: Int64.random(in: 0...1000, using: &rng) * [1000, 60_000, 3_600_000, 86_400_000].randomElement(using: &rng)!
                default: Int64.random(in: 0...(Int64.max / 2), using: &rng)
                }
            let d = EventDuration(milliseconds: ms)
            #expect(EventDuration.parse(d.description) == d, "\(ms) -> \(d.description)")
        }
    }

    @Test("Timestamp arithmetic and ordering")
    func arithmetic() {
        let t = Timestamp(seconds: 100)
        #expect(t + .seconds(5) == Timestamp(milliseconds: 105_000))
        #expect(t - .minutes(1) == Timestamp(seconds: 40))
        #expect(Timestamp(milliseconds: -1) < Timestamp(milliseconds: 0))
        #expect(EventDuration.minutes(59) < .hours(1))
    }
}
