/// The near-repeat feature vector: what the engine knows about an incident's place and time at the
/// instant it arrives, before the incident itself is counted.
///
/// One type computes it for training (`vigil features`) and for serving (the engine's scoring), so
/// the two cannot drift. The layout (names and order) follows from the engine configuration
/// (window horizons, whether surges and hotspots run) and a vocabulary of categories and premises;
/// a model file lists the names it was trained on, and loading fails unless they match exactly.
///
/// Times of day are UTC (the core has no time zones); counts are those of the engine's windows
/// ending at the bucket that holds the event time. Missing values (nothing seen yet) are NaN.
public struct NearRepeatFeatures: Sendable, Equatable {
    /// The engine's configured horizons (`[windows] horizons`), in order.
    public let windows: [WindowSpec]
    public let surge: Bool
    public let hotspots: Bool
    /// One-hot vocabularies (an unknown value sets none of the indicators).
    public let categories: [String]
    public let premises: [String]
    public let names: [String]

    static let calendarNames = ["hour_utc", "day_of_week_utc", "month_utc"]
    static let recencyNames = ["hours_since_cell", "hours_since_nbr", "hours_since_cat_nbr"]
    static let surgeNames = ["surge_count", "surge_expected"]
    static let hotspotNames = ["hot_cell", "hot_cells_nbr", "hot_gi_star", "hotspot_cells", "hotspot_intensity", "hotspot_age_days"]
    static let countFamilies = ["cell", "nbr", "cat_cell", "cat_nbr", "cat_nbhd"]

    public init(windows: [WindowSpec], surge: Bool, hotspots: Bool, categories: [String], premises: [String]) {
        self.windows = windows
        self.surge = surge
        self.hotspots = hotspots
        self.categories = categories
        self.premises = premises
        var names = Self.calendarNames
        for family in Self.countFamilies { names += windows.map { "\(family)_\($0.horizon)" } }
        names += windows.dropLast().map { "nbr_trend_\($0.horizon)" }
        names += Self.recencyNames
        if surge { names += Self.surgeNames }
        if hotspots { names += Self.hotspotNames }
        names += categories.map { "category=\($0)" }
        names += premises.map { "premises=\($0)" }
        self.names = names
    }

    /// The layout an engine with `configuration` computes, with the given vocabularies.
    public init(configuration: EngineConfiguration, categories: [String], premises: [String]) {
        self.init(
            windows: configuration.windows, surge: configuration.surgeRule != nil, hotspots: configuration.hotspots != nil,
            categories: categories, premises: premises)
    }

    /// The layout whose names are exactly `names` under `configuration`, or a `featureMismatch`
    /// error naming the first position that differs (vocabularies are read from the names).
    public static func matching(_ names: [String], configuration: EngineConfiguration) throws(ModelError) -> NearRepeatFeatures {
        let categories = names.filter { $0.hasPrefix("category=") }.map { String($0.dropFirst("category=".count)) }
        let premises = names.filter { $0.hasPrefix("premises=") }.map { String($0.dropFirst("premises=".count)) }
        let layout = NearRepeatFeatures(configuration: configuration, categories: categories, premises: premises)
        guard layout.names != names else { return layout }
        let i = (0..<min(layout.names.count, names.count)).first { layout.names[$0] != names[$0] } ?? min(layout.names.count, names.count)
        let want = i < layout.names.count ? "'\(layout.names[i])'" : "nothing"
        let got = i < names.count ? "'\(names[i])'" : "nothing"
        throw ModelError(
            .featureMismatch,
            "the model's feature \(i) is \(got) but this configuration computes \(want) "
                + "(model has \(names.count) features, engine \(layout.names.count)); retrain with `vigil features` under this configuration"
        )
    }

    public var count: Int { names.count }

    /// Fills `out` (resized to `count`) with the features of `incident` from the engine state.
    /// Called before the incident is counted; reads nothing but past state. `categoryColumn`, when
    /// the caller knows it, is the index in `categories` of the incident's category (-1: none of
    /// them); nil: the names are compared.
    func extract(
        _ incident: Incident, cell: GridCell, category: UInt16?, neighbourhood: UInt16?, windows table: WindowTable,
        surgeRule: SurgeRule?, hot: HotCellIndex?, categoryColumn: Int? = nil, into out: inout [Double]
    ) {
        if out.count != names.count { out = Array(repeating: 0, count: names.count) }
        let t = incident.eventTime
        let ms = t.milliseconds
        let day = floorDivide(ms, 86_400_000)
        out[0] = Double((ms - day * 86_400_000) / 3_600_000)
        out[1] = Double(floorModulo(day + 3, 7))  // Monday = 0 (1970-01-01 was a Thursday)
        out[2] = Double(RFC3339.civilFromDays(Int(day)).month)
        let h = windows.count
        var f = 3
        // Zero the count blocks, then add cell by cell over the 3x3 neighbourhood.
        for i in f..<(f + 5 * h) { out[i] = 0 }
        let cellBase = f
        let nbrBase = f + h
        let catCellBase = f + 2 * h
        let catNbrBase = f + 3 * h
        let nbhdBase = f + 4 * h
        var lastCell = Int64.min
        var lastNbr = Int64.min
        var lastCatNbr = Int64.min
        // The bucket each horizon's window ends at (one division per horizon, not per slot), and
        // the time its first bucket starts: a key whose newest event is older counts 0 there, so
        // its count is not read (most neighbouring cells' last incident is days old, which leaves
        // only the week and the month to read of their five windows). The sums are the same: a
        // skipped count is +0, and the sums start at +0.
        // The counts are read and the features written through buffers (`WindowTable.CountReader`):
        // 19 slots × 5 windows per incident, each read and write otherwise bounds-checked.
        withUnsafeTemporaryAllocation(of: Int64.self, capacity: max(2 * h, 1)) { scratch in
            let end = scratch.baseAddress!
            let from = end + h
            for k in 0..<h {
                end[k] = table.bucket(spec: k, at: t)
                from[k] = table.windowStart(spec: k, endingAt: end[k])
            }
            table.withCountReader { counts in
                out.withUnsafeMutableBufferPointer { out in
                    for dx in Int32(-1)...1 {
                        for dy in Int32(-1)...1 {
                            let c = GridCell(x: cell.x + dx, y: cell.y + dy)
                            let own = dx == 0 && dy == 0
                            if let slot = table.slot(of: AggregateKey.cell(c)) {
                                let seen = counts.lastSeen(slot)
                                for k in 0..<h where seen >= from[k] {
                                    let n = Double(counts.count(slot: slot, spec: k, endingAt: end[k]))
                                    out[nbrBase &+ k] += n
                                    if own { out[cellBase &+ k] = n }
                                }
                                lastNbr = max(lastNbr, seen)
                                if own { lastCell = seen }
                            }
                            if let category, let slot = table.slot(of: AggregateKey.categoryCell(category, c)) {
                                let seen = counts.lastSeen(slot)
                                for k in 0..<h where seen >= from[k] {
                                    let n = Double(counts.count(slot: slot, spec: k, endingAt: end[k]))
                                    out[catNbrBase &+ k] += n
                                    if own { out[catCellBase &+ k] = n }
                                }
                                lastCatNbr = max(lastCatNbr, seen)
                            }
                        }
                    }
                    if let category, let neighbourhood,
                        let slot = table.slot(of: AggregateKey.categoryNeighbourhood(category, neighbourhood))
                    {
                        for k in 0..<h { out[nbhdBase &+ k] = Double(counts.count(slot: slot, spec: k, endingAt: end[k])) }
                    }
                }
            }
        }
        f += 5 * h
        // Short-term change: rate over each horizon against the rate over the longest one.
        if h > 0 {
            let longest = Double(windows[h - 1].horizon.milliseconds)
            let longCount = out[nbrBase + h - 1]
            for k in 0..<(h - 1) {
                out[f + k] = out[nbrBase + k] * longest / (Double(windows[k].horizon.milliseconds) * (longCount + 1))
            }
            f += h - 1
        }
        func hoursSince(_ last: Int64) -> Double {
            last == Int64.min || last == WindowTable.empty ? .nan : Double(max(0, ms - last)) / 3_600_000
        }
        out[f] = hoursSince(lastCell)
        out[f + 1] = hoursSince(lastNbr)
        out[f + 2] = hoursSince(lastCatNbr)
        f += 3
        if surge {
            if let surgeRule, let category, let neighbourhood {
                let s = surgeRule.seasonal(key: AggregateKey.categoryNeighbourhood(category, neighbourhood), at: t)
                out[f] = Double(s.count)
                out[f + 1] = s.expected
            } else if incident.neighbourhood == nil {
                out[f] = .nan
                out[f + 1] = .nan
            } else {
                out[f] = 0
                out[f + 1] = 0
            }
            f += 2
        }
        if hotspots {
            let entry = hot?[cell]
            var near = 0
            if let hot, hot.count > 0 {
                hot.withPlaces { places in
                    for dx in Int32(-1)...1 {
                        for dy in Int32(-1)...1 where places.place(of: GridCell(x: cell.x + dx, y: cell.y + dy)) >= 0 { near += 1 }
                    }
                }
            }
            out[f] = entry == nil ? 0 : 1
            out[f + 1] = Double(near)
            out[f + 2] = entry?.giStar ?? 0
            out[f + 3] = Double(entry?.hotspotCells ?? 0)
            out[f + 4] = entry?.intensity ?? 0
            out[f + 5] = entry.map { Double(ms - $0.openedAt) / 86_400_000 } ?? .nan
            f += 6
        }
        if let categoryColumn {
            for i in 0..<categories.count { out[f + i] = i == categoryColumn ? 1 : 0 }
        } else {
            for (i, name) in categories.enumerated() { out[f + i] = name == incident.category ? 1 : 0 }
        }
        f += categories.count
        for (i, name) in premises.enumerated() { out[f + i] = name == incident.premises ? 1 : 0 }
    }
}
