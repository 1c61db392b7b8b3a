import Testing

@testable import VigilCore

/// The city profile's summary is kept incrementally (a week in and a week out when the evaluation
/// week moves on, late occurrences taken into the cached sums). Each summary must equal, bit for
/// bit, the one a fresh profile computes from scratch from the same occurrences.
@Suite struct ScanCityProfileTests {
    static let hoursPerWeek = Int64(ScanCityProfile.hoursPerWeek)

    @Test(arguments: [41, 42, 43, 44] as [UInt64]) func incrementalSummariesEqualFreshOnes(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var profile = ScanCityProfile()
        var hours: [Int64] = []
        var head: Int64 = Self.hoursPerWeek * 2_500
        var compared = 0
        for step in 0..<6_000 {
            // Mostly forward by a few hours; sometimes late (up to ~70 weeks back, past the ring),
            // sometimes a quiet spell of weeks (past the ring too, now and then).
            let roll = rng.next() % 100
            let hour: Int64
            if roll < 8 {
                hour = head - Int64(rng.next() % UInt64(Self.hoursPerWeek * 70))
            } else {
                if roll == 99 { head += Int64(rng.next() % UInt64(Self.hoursPerWeek * 80)) }
                head += Int64(rng.next() % 9)
                hour = head
            }
            profile.add(hour: hour)
            hours.append(hour)
            guard step % 7 == 0 else { continue }
            // Evaluations of this week, the next, or an earlier one (a late incident's).
            let headWeek = ClusterTime.week(ofHour: head)
            let week = headWeek - Int64(rng.next() % 4) + (rng.next() % 5 == 0 ? 1 : 0)
            let got = profile.summary(week: week)
            var fresh = ScanCityProfile()
            for h in hours { fresh.add(hour: h) }
            let want = fresh.summary(week: week)
            #expect(got.week == want.week)
            #expect(got.baselineTotal.bitPattern == want.baselineTotal.bitPattern, "step \(step) week \(week)")
            #expect(got.recentTotal.bitPattern == want.recentTotal.bitPattern, "step \(step) week \(week)")
            #expect(got.weeksWithData == want.weeksWithData, "step \(step) week \(week)")
            #expect(got.prefix.map(\.bitPattern) == want.prefix.map(\.bitPattern), "step \(step) week \(week)")
            compared += 1
        }
        #expect(compared > 800)
    }
}
