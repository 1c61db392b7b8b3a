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

    mutating func add(hour: Int64) {
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
            cached = nil  // the ring reused weeks a cached baseline may count
        }
        guard headWeek - week < Int64(Self.weeks) else { return }
        let p = ScanCountTable.position(week, Self.weeks)
        totals[p] &+= 1
        byHour[p * Self.hoursPerWeek + ClusterTime.hourOfWeek(hour)] &+= 1
        if let c = cached, week >= c.week - ScanCountTable.baselineFirst, week <= c.week - 1 { cached = nil }
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

    mutating func summary(week: Int64) -> Summary {
        if let c = cached, c.week == week { return c }
        var baseline = 0.0
        var withData = 0
        var counts = [Double](repeating: 0, count: Self.hoursPerWeek)
        var w = week - ScanCountTable.baselineFirst
        while w <= week - ScanCountTable.baselineLast {
            if headWeek != ScanCountTable.empty, w <= headWeek, headWeek - w < Int64(Self.weeks) {
                let p = ScanCountTable.position(w, Self.weeks)
                baseline += Double(totals[p])
                if totals[p] > 0 { withData += 1 }
                for k in 0..<Self.hoursPerWeek { counts[k] += Double(byHour[p * Self.hoursPerWeek + k]) }
            }
            w += 1
        }
        var recent = 0.0
        for w in (week - 4)...(week - 1) { recent += Double(total(week: w)) }
        let scale = (baseline + Double(Self.hoursPerWeek)) / Double(Self.hoursPerWeek)
        var prefix = [Double](repeating: 0, count: 2 * Self.hoursPerWeek + 1)
        for i in 0..<(2 * Self.hoursPerWeek) { prefix[i + 1] = prefix[i] + (counts[i % Self.hoursPerWeek] + 1) / scale }
        let s = Summary(week: week, baselineTotal: baseline, recentTotal: recent, weeksWithData: withData, prefix: prefix)
        cached = s
        return s
    }
}
