/// City-wide (this engine's) occurrences of one layer per week and hour of the week, for the
/// scan's hour-of-week profile and current level (docs/CLUSTERS.md, "Expected count").
struct ScanCityProfile: Sendable {
    static let weeks = ScanCountTable.weeks
    static let hoursPerWeek = Int(ClusterTime.hoursPerWeek)

    /// What an evaluation in week `week` needs, computed once per week.
    struct Summary: Sendable {
        var week: Int64
        /// Occurrences in the 52 baseline weeks, and in the 4 weeks before the current one.
        var baselineTotal: Double
        var recentTotal: Double
        /// Baseline weeks with at least one occurrence.
        var weeksWithData: Int
        /// Doubled prefix sums of the profile q(k): prefix[i] = Σ_{j<i} q(j mod 168), i in 0...336.
        var prefix: [Double]
    }

    private var totals = [UInt32](repeating: 0, count: weeks)
    private var byHour = [UInt32](repeating: 0, count: weeks * hoursPerWeek)
    private var headWeek = ScanCountTable.empty
    private var cached: Summary?
    /// Per hour of the week, the occurrences in the cached summary's baseline weeks: what moves
    /// the summary to the next week (a week in, a week out) or takes a late occurrence in, instead
    /// of summing 52 weeks again. Integer counts, so the sums are exact whatever their order.
    private var cachedCounts = [UInt32](repeating: 0, count: hoursPerWeek)

    mutating func add(hour: Int64) { add(hour: hour, count: 1) }

    /// Counts `count` occurrences at `hour` at once: the same state as `count` single adds (the
    /// sums are of integers), so a partition fed the city's counts by week (`CityOccurrences`)
    /// holds what one engine counting every incident holds.
    mutating func add(hour: Int64, count: UInt32) {
        guard count > 0 else { return }
        let week = ClusterTime.week(ofHour: hour)
        if headWeek == ScanCountTable.empty {
            headWeek = week
        } else if week > headWeek {
            let gap = min(week - headWeek, Int64(Self.weeks))
            var w = week - gap + 1
            while w <= week {
                let p = ScanCountTable.position(w, Self.weeks)
                totals[p] = 0
                for k in 0..<Self.hoursPerWeek { byHour[p * Self.hoursPerWeek + k] = 0 }
                w += 1
            }
            headWeek = week
            // The ring reused the positions of weeks before headWeek − 63; a cached summary that
            // counts one of them (its first baseline week is week − 53) is recomputed.
            if let c = cached, c.week - ScanCountTable.baselineFirst <= headWeek - Int64(Self.weeks) { cached = nil }
        }
        guard headWeek - week < Int64(Self.weeks) else { return }
        let p = ScanCountTable.position(week, Self.weeks)
        let hourOfWeek = ClusterTime.hourOfWeek(hour)
        totals[p] &+= count
        byHour[p * Self.hoursPerWeek + hourOfWeek] &+= count
        // The common case, an occurrence in the current week, leaves the summary alone without
        // binding a copy of it (that retained and released its prefix sums every call).
        guard let cachedWeek = cached?.week, week >= cachedWeek - ScanCountTable.baselineFirst, week <= cachedWeek - 1
        else { return }
        // A late occurrence in weeks the cached summary counts: taken in, not recomputed.
        var c = cached!
        cached = nil
        if week >= c.week - 4 { c.recentTotal += Double(count) }
        if week <= c.week - ScanCountTable.baselineLast {
            c.baselineTotal += Double(count)
            if totals[p] == count { c.weeksWithData += 1 }
            cachedCounts[hourOfWeek] &+= count
            Self.fillPrefix(&c.prefix, counts: cachedCounts, baseline: c.baselineTotal)
        }
        cached = c
    }

    /// prefix[i] = Σ_{j<i} (counts[j mod 168] + 1) / scale, the doubled profile's prefix sums.
    private static func fillPrefix(_ prefix: inout [Double], counts: [UInt32], baseline: Double) {
        let scale = (baseline + Double(hoursPerWeek)) / Double(hoursPerWeek)
        if prefix.count != 2 * hoursPerWeek + 1 { prefix = [Double](repeating: 0, count: 2 * hoursPerWeek + 1) }
        prefix[0] = 0
        for i in 0..<(2 * hoursPerWeek) { prefix[i + 1] = prefix[i] + (Double(counts[i % hoursPerWeek]) + 1) / scale }
    }

    /// Occurrences in `week` (0 outside the ring).
    func total(week: Int64) -> UInt32 {
        guard headWeek != ScanCountTable.empty, week <= headWeek, headWeek - week < Int64(Self.weeks) else { return 0 }
        return totals[ScanCountTable.position(week, Self.weeks)]
    }

    /// Weeks of the baseline of `week` with at least one occurrence (the layer `all` decides Wa).
    func weeksWithData(week: Int64) -> Int {
        var n = 0
        var w = week - ScanCountTable.baselineFirst
        while w <= week - ScanCountTable.baselineLast {
            if total(week: w) > 0 { n += 1 }
            w += 1
        }
        return n
    }

    /// The summary of `week`.
    mutating func summary(week: Int64) -> Summary {
        prepare(week: week)
        return cached!
    }

    /// Makes `current` the summary of `week` (moved from the previous week's or computed). An
    /// evaluation reads it in place: a returned copy retained and released its prefix sums.
    mutating func prepare(week: Int64) {
        if let c = cached, c.week == week { return }
        if var c = cached, c.week == week - 1, headWeek != ScanCountTable.empty, week - 2 <= headWeek,
            headWeek - (week - 1 - ScanCountTable.baselineFirst) < Int64(Self.weeks)
        {
            // The next week: week − 2 enters the baseline, week − 54 leaves it (both still in the ring).
            cached = nil
            let entering = week - ScanCountTable.baselineLast
            let leaving = week - 1 - ScanCountTable.baselineFirst
            let pin = ScanCountTable.position(entering, Self.weeks)
            let pout = ScanCountTable.position(leaving, Self.weeks)
            let inTotal = entering <= headWeek ? totals[pin] : 0
            c.baselineTotal += Double(inTotal)
            c.baselineTotal -= Double(totals[pout])
            c.weeksWithData += (inTotal > 0 ? 1 : 0) - (totals[pout] > 0 ? 1 : 0)
            for k in 0..<Self.hoursPerWeek {
                if entering <= headWeek { cachedCounts[k] &+= byHour[pin * Self.hoursPerWeek + k] }
                cachedCounts[k] &-= byHour[pout * Self.hoursPerWeek + k]
            }
            c.week = week
            c.recentTotal = 0
            for w in (week - 4)...(week - 1) { c.recentTotal += Double(total(week: w)) }
            Self.fillPrefix(&c.prefix, counts: cachedCounts, baseline: c.baselineTotal)
            cached = c
            return
        }
        var baseline = 0.0
        var withData = 0
        for k in 0..<Self.hoursPerWeek { cachedCounts[k] = 0 }
        var w = week - ScanCountTable.baselineFirst
        while w <= week - ScanCountTable.baselineLast {
            if headWeek != ScanCountTable.empty, w <= headWeek, headWeek - w < Int64(Self.weeks) {
                let p = ScanCountTable.position(w, Self.weeks)
                baseline += Double(totals[p])
                if totals[p] > 0 { withData += 1 }
                for k in 0..<Self.hoursPerWeek { cachedCounts[k] &+= byHour[p * Self.hoursPerWeek + k] }
            }
            w += 1
        }
        var recent = 0.0
        for w in (week - 4)...(week - 1) { recent += Double(total(week: w)) }
        var prefix: [Double] = []
        Self.fillPrefix(&prefix, counts: cachedCounts, baseline: baseline)
        cached = Summary(week: week, baselineTotal: baseline, recentTotal: recent, weeksWithData: withData, prefix: prefix)
    }

    /// The summary `prepare` made last.
    var current: Summary {
        _read { yield cached! }
    }

    /// The profile's share of the `hours` hours from hour of the week `start` (a fraction of a
    /// week), by the prepared summary.
    @inline(__always) func share(fromHourOfWeek start: Int, hours: Int) -> Double {
        (cached!.prefix[start + hours] - cached!.prefix[start]) / Double(Self.hoursPerWeek)
    }
}
