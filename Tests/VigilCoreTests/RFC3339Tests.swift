import Foundation
import Testing

@testable import VigilCore

@Suite("RFC 3339 parsing and formatting")
struct RFC3339Tests {
    // MARK: Accepted forms

    @Test("parses UTC with Z")
    func parsesZulu() {
        #expect(RFC3339.parse("1970-01-01T00:00:00Z") == Timestamp(milliseconds: 0))
        #expect(RFC3339.parse("2014-03-02T13:00:00Z") == Timestamp(seconds: 1_393_765_200))
        #expect(RFC3339.parse("1969-12-31T23:59:59Z") == Timestamp(seconds: -1))
        #expect(RFC3339.parse("1900-01-01T00:00:00Z") == Timestamp(seconds: -2_208_988_800))
        #expect(RFC3339.parse("2200-01-01T00:00:00Z") == Timestamp(seconds: 7_258_118_400))
    }

    @Test(
        "applies ±HH:MM offsets",
        arguments: [
            ("2014-03-02T08:00:00-05:00", Int64(1_393_765_200)),
            ("2014-03-02T18:30:00+05:30", 1_393_765_200),
            ("2014-03-02T13:00:00+00:00", 1_393_765_200),
            ("2014-03-02T13:00:00-00:00", 1_393_765_200),
            ("2014-03-03T12:59:00+23:59", 1_393_765_200),
            ("2014-03-01T13:01:00-23:59", 1_393_765_200),
            ("1970-01-01T00:00:00+01:00", -3600),
            ("1969-12-31T19:00:00-05:00", 0)
        ])
    func parsesOffsets(text: String, epochSeconds: Int64) {
        #expect(RFC3339.parse(text) == Timestamp(seconds: epochSeconds))
    }

    @Test(
        "keeps milliseconds of 1–3 digit fractions",
        arguments: [
            ("2014-03-02T13:00:00.5Z", Int64(500)),
            ("2014-03-02T13:00:00.05Z", 50),
            ("2014-03-02T13:00:00.005Z", 5),
            ("2014-03-02T13:00:00.123Z", 123),
            ("2014-03-02T13:00:00.999Z", 999),
            ("2014-03-02T13:00:00.000Z", 0),
            ("2014-03-02T08:00:00.250-05:00", 250)
        ])
    func shortFractions(text: String, millis: Int64) {
        #expect(RFC3339.parse(text) == Timestamp(milliseconds: 1_393_765_200_000 + millis))
    }

    /// 4–9 fractional digits are legal RFC 3339 (and common: microsecond timestamps).
    /// Runs in a child process because `parse` traps on them (`for _ in digits..<3` builds an
    /// invalid range when digits > 3), which would otherwise take down the whole test run.
    @Test("keeps milliseconds of 4–9 digit fractions and ignores finer digits")
    func longFractions() async {
        await #expect(processExitsWith: .success) {
            let base: Int64 = 1_393_765_200_000
            let cases: [(String, Int64)] = [
                ("2014-03-02T13:00:00.1234Z", 123),
                ("2014-03-02T13:00:00.99999Z", 999),
                ("2014-03-02T13:00:00.000001Z", 0),
                ("2014-03-02T13:00:00.1234567Z", 123),
                ("2014-03-02T13:00:00.12345678Z", 123),
                ("2014-03-02T08:00:00.123456789-05:00", 123)
            ]
            for (text, millis) in cases {
                precondition(RFC3339.parse(text) == Timestamp(milliseconds: base + millis), text)
            }
        }
    }

    @Test(
        "accepts lowercase t and z and a space separator",
        arguments: [
            "2014-03-02t13:00:00Z", "2014-03-02T13:00:00z", "2014-03-02t13:00:00z", "2014-03-02 13:00:00Z",
            "2014-03-02 08:00:00-05:00"
        ])
    func lenientSeparators(text: String) {
        #expect(RFC3339.parse(text) == Timestamp(seconds: 1_393_765_200))
    }

    @Test(
        "accepts Feb 29 in leap years",
        arguments: [
            ("2020-02-29T00:00:00Z", Int64(1_582_934_400)),
            ("2000-02-29T12:00:00Z", 951_825_600)
        ])
    func leapDays(text: String, epochSeconds: Int64) {
        #expect(RFC3339.parse(text) == Timestamp(seconds: epochSeconds))
    }

    // MARK: Rejected forms

    @Test(
        "rejects malformed or impossible timestamps",
        arguments: [
            "",
            "2014-03-02",
            "2014-03-02T13:00:00",  // no offset
            "2014-03-02T13:00:00.5",  // fraction but no offset
            "2014-03-02T13:00:00.Z",  // empty fraction
            "2021-02-30T00:00:00Z",  // Feb 30
            "2021-02-29T00:00:00Z",  // not a leap year
            "1900-02-29T00:00:00Z",  // century, not a leap year
            "2100-02-29T00:00:00Z",
            "2021-04-31T00:00:00Z",
            "2021-00-10T00:00:00Z",
            "2021-13-01T00:00:00Z",
            "2021-01-00T00:00:00Z",
            "2021-01-32T00:00:00Z",
            "2021-01-01T24:00:00Z",  // hour 24
            "2021-01-01T23:60:00Z",
            "2021-01-01T23:59:61Z",
            "2021/01/01T00:00:00Z",
            "2021-01-01X00:00:00Z",
            "2021-01-01_00:00:00Z",
            "2021-01-01T00-00-00Z",
            "2021-01-01T00:00.00Z",
            "2021-1-01T00:00:00Z",
            "20210101T000000Z",
            "2021-01-01T00:00:00 Z",
            "2021-01-01T00:00:00+0500",
            "2021-01-01T00:00:00+05",
            "2021-01-01T00:00:00+05:0",
            "2021-01-01T00:00:00+24:00",
            "2021-01-01T00:00:00+05:60",
            "2021-01-01T00:00:00*05:00",
            "2021-01-01T00:00:00ZZ",
            "2021-01-01T00:00:00Zjunk",
            "2021-01-01T00:00:00Z ",
            " 2021-01-01T00:00:00Z",
            "2021-01-01T00:00:00+05:00x",
            "2021-01-01T00:00:00+05:00Z",
            "2021-01-01T00:00:00.5.5Z",
            "2021-01-01T00:00:00,5Z",
            "２021-01-01T00:00:00Z",
            "abcd-ef-ghTij:kl:mnZ"
        ])
    func rejects(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    // MARK: Formatting

    @Test(
        "formats UTC with milliseconds only when non-zero",
        arguments: [
            (Int64(0), "1970-01-01T00:00:00Z"),
            (1_393_765_200_000, "2014-03-02T13:00:00Z"),
            (1_393_765_200_007, "2014-03-02T13:00:00.007Z"),
            (1_393_765_200_120, "2014-03-02T13:00:00.120Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (-1000, "1969-12-31T23:59:59Z"),
            (-86_400_000, "1969-12-31T00:00:00Z"),
            (-2_208_988_800_000, "1900-01-01T00:00:00Z"),
            (7_258_118_400_000, "2200-01-01T00:00:00Z"),
            (951_825_600_000, "2000-02-29T12:00:00Z")
        ])
    func formats(millis: Int64, text: String) {
        #expect(RFC3339.format(Timestamp(milliseconds: millis)) == text)
        #expect(Timestamp(milliseconds: millis).description == text)
        var buffer: [UInt8] = [0x5B]
        RFC3339.append(Timestamp(milliseconds: millis), to: &buffer)
        #expect(buffer == [0x5B] + Array(text.utf8))
    }

    // MARK: Properties

    static let minMillis: Int64 = -2_208_988_800_000  // 1900-01-01
    static let maxMillis: Int64 = 7_258_118_400_000  // 2200-01-01

    @Test("parse(format(t)) == t for random instants 1900–2200")
    func roundTripFromTimestamp() {
        var rng = SplitMix64(seed: 0x3339)
        for k in 0..<2000 {
            // Every 4th case is whole seconds, to exercise the no-fraction form.
            var ms = Int64.random(in: Self.minMillis...Self.maxMillis, using: &rng)
            if k % 4 == 0 { ms -= ((ms % 1000) + 1000) % 1000 }
            let t = Timestamp(milliseconds: ms)
            let text = RFC3339.format(t)
            #expect(RFC3339.parse(text) == t, "\(ms) -> \(text)")
            #expect(text.utf8.count == (ms % 1000 == 0 ? 20 : 24), "\(text)")
        }
    }

    @Test("format(parse(x)) == x for random canonical UTC strings; offsets agree with Foundation")
    func roundTripFromText() throws {
        var rng = SplitMix64(seed: 0xF0F0)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        for _ in 0..<1000 {
            let year = Int.random(in: 1900...2199, using: &rng)
            let month = Int.random(in: 1...12, using: &rng)
            let day = Int.random(in: 1...RFC3339.daysIn(month: month, year: year), using: &rng)
            let hour = Int.random(in: 0...23, using: &rng)
            let minute = Int.random(in: 0...59, using: &rng)
            let second = Int.random(in: 0...59, using: &rng)
            let millis = Bool.random(using: &rng) ? 0 : Int.random(in: 1...999, using: &rng)
            let civil = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
            let utc = civil + (millis == 0 ? "" : ".\(pad(millis, 3))") + "Z"
            let parsed = try #require(RFC3339.parse(utc), "\(utc)")
            #expect(RFC3339.format(parsed) == utc)

            // Independent oracle: Foundation's Gregorian calendar.
            let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
            let date = try #require(calendar.date(from: components))
            let expected = Int64(date.timeIntervalSince1970.rounded()) * 1000 + Int64(millis)
            #expect(parsed.milliseconds == expected, "\(utc)")

            // The same wall-clock time at a random offset is that many seconds earlier/later.
            let offsetMinutes = Int.random(in: -(23 * 60 + 59)...(23 * 60 + 59), using: &rng)
            let sign = offsetMinutes < 0 ? "-" : "+"
            let withOffset =
                civil + (millis == 0 ? "" : ".\(pad(millis, 3))")
                + "\(sign)\(pad(abs(offsetMinutes) / 60, 2)):\(pad(abs(offsetMinutes) % 60, 2))"
            #expect(RFC3339.parse(withOffset)?.milliseconds == expected - Int64(offsetMinutes) * 60_000, "\(withOffset)")
        }
    }

    @Test("daysFromCivil and civilFromDays are inverse and step one calendar day at a time")
    func civilDayConversions() {
        #expect(RFC3339.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(RFC3339.daysFromCivil(year: 2000, month: 3, day: 1) == 11017)
        #expect(RFC3339.daysFromCivil(year: 1900, month: 1, day: 1) == -25567)
        #expect(RFC3339.civilFromDays(-1) == (1969, 12, 31))
        var rng = SplitMix64(seed: 0xDA75)
        for _ in 0..<2000 {
            let days = Int.random(in: -1_000_000...1_000_000, using: &rng)
            let (y, m, d) = RFC3339.civilFromDays(days)
            #expect((1...12).contains(m) && d >= 1 && d <= RFC3339.daysIn(month: m, year: y), "\(days) -> \(y)-\(m)-\(d)")
            #expect(RFC3339.daysFromCivil(year: y, month: m, day: d) == days, "\(days) -> \(y)-\(m)-\(d)")
            // The next day is the next calendar date.
            let next = RFC3339.civilFromDays(days + 1)
            let expectedNext: (Int, Int, Int) =
                d < RFC3339.daysIn(month: m, year: y)
                ? (y, m, d + 1)
                : m < 12 ? (y, m + 1, 1) : (y + 1, 1, 1)
            #expect(next == expectedNext, "\(days)")
        }
    }

    @Test("leap-year rule")
    func leapYears() {
        #expect(RFC3339.isLeap(2000) && RFC3339.isLeap(2020) && RFC3339.isLeap(2400))
        #expect(!RFC3339.isLeap(1900) && !RFC3339.isLeap(2100) && !RFC3339.isLeap(2021))
    }
}
