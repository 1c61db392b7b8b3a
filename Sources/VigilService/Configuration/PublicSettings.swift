import Foundation
import VigilCore

/// `[public]`: the differentially private open-data feed (docs/PRIVACY.md). Off unless
/// `topics.public` is set; `vigil public` uses the same settings for file exports.
struct PublicSettings: Sendable, Equatable {
    /// Public topic; nil: no live feed.
    var topic: String?
    /// The fixed key domain: neighbourhood names (inline, or one per line in `neighbourhoods_file`,
    /// added by `loadingFiles()`).
    var neighbourhoods: [String] = []
    /// `public.neighbourhoods_file`, resolved; read at startup by `loadingFiles()`, not by parsing.
    var neighbourhoodsFile: String?
    var categories: [String] = PublicSettings.torontoCategories
    /// Coarse cell size of the cell × category family, metres.
    var cellSizeMeters = 1000.0
    /// The first period released (a date, UTC): the schedule is fixed from it.
    var start = Timestamp(milliseconds: 0)
    var dailyEpsilonMicros: Int64 = 500_000
    var weeklyEpsilonMicros: Int64 = 1_000_000
    /// Periods per tree epoch.
    var dailyHorizon = 730
    var weeklyHorizon = 104
    var totalEpsilonMicros: Int64 = 12_000_000
    var nonNegative = true
    var areaTotals = true
    /// Where the ledger and trees are persisted (written atomically after each release).
    var statePath = "public-state.json"

    static let torontoCategories = ["Assault", "Auto Theft", "Break and Enter", "Robbery", "Theft Over"]

    static func read(_ r: inout ConfigReader, directory: String?) throws(ConfigurationError) -> PublicSettings {
        var s = PublicSettings()
        let topic = try r.string("topics.public", default: "")
        if !topic.isEmpty {
            guard VigilConfiguration.isValidTopic(topic) else {
                throw ConfigurationError(
                    key: "topics.public", message: "'\(topic)' is not a valid Kafka topic name",
                    fix: "use 1–249 characters from [a-zA-Z0-9._-], or \"\" to turn the public feed off")
            }
            s.topic = topic
        }
        s.neighbourhoods = try r.strings("public.neighbourhoods", default: [])
        let file = try r.string("public.neighbourhoods_file", default: "")
        if !file.isEmpty { s.neighbourhoodsFile = ModelFile.resolve(file, relativeTo: directory) }
        if s.neighbourhoodsFile == nil { try s.checkNeighbourhoods() }
        s.categories = try r.strings("public.categories", default: s.categories)
        if s.categories.isEmpty || Set(s.categories).count != s.categories.count {
            throw ConfigurationError(
                key: "public.categories", message: "must list at least one category, each once", fix: "e.g. [\"Assault\", \"Robbery\"]")
        }
        s.cellSizeMeters = try r.double("public.cell_size_m", default: s.cellSizeMeters)
        if !(250...50_000).contains(s.cellSizeMeters) {
            throw ConfigurationError(
                key: "public.cell_size_m", message: "must be between 250 and 50000 metres", fix: "1000 is the usual coarse cell")
        }
        let startText = try r.string("public.start", default: "2026-01-05")
        guard let start = RFC3339.parse(startText + "T00:00:00Z") else {
            throw ConfigurationError(
                key: "public.start", message: "'\(startText)' is not a date",
                fix: "write the first release period as \"YYYY-MM-DD\" (UTC; weeks start on the Monday on or before it)")
        }
        s.start = start
        s.dailyEpsilonMicros = try epsilon(&r, "public.daily_epsilon", default: s.dailyEpsilonMicros)
        s.weeklyEpsilonMicros = try epsilon(&r, "public.weekly_epsilon", default: s.weeklyEpsilonMicros)
        s.totalEpsilonMicros = try epsilon(&r, "public.total_epsilon", default: s.totalEpsilonMicros)
        s.dailyHorizon = try r.int("public.daily_horizon", default: s.dailyHorizon)
        s.weeklyHorizon = try r.int("public.weekly_horizon", default: s.weeklyHorizon)
        for (key, value) in [("public.daily_horizon", s.dailyHorizon), ("public.weekly_horizon", s.weeklyHorizon)]
        where !(1...100_000).contains(value) {
            throw ConfigurationError(
                key: key, message: "must be between 1 and 100000 periods",
                fix: "e.g. 730 days or 104 weeks: the running totals start over after it")
        }
        if s.totalEpsilonMicros < 2 * (s.dailyEpsilonMicros + s.weeklyEpsilonMicros) {
            throw ConfigurationError(
                key: "public.total_epsilon", message: "is less than one epoch of every stream",
                fix: "raise it to at least 2 × (daily_epsilon + weekly_epsilon): two key families, each daily and weekly")
        }
        s.nonNegative = try r.bool("public.non_negative", default: s.nonNegative)
        s.areaTotals = try r.bool("public.area_totals", default: s.areaTotals)
        s.statePath = ModelFile.resolve(try r.string("public.state_path", default: s.statePath), relativeTo: directory)
        if s.neighbourhoodsFile == nil { try s.checkFeedHasNeighbourhoods() }
        return s
    }

    /// These settings with the names of `neighbourhoods_file` added and the domain checked again:
    /// the startup step after parsing (`VigilConfiguration.loadingFiles()`).
    func loadingFiles() throws(ConfigurationError) -> PublicSettings {
        guard let path = neighbourhoodsFile else { return self }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError(
                key: "public.neighbourhoods_file", message: "cannot read '\(path)'",
                fix: "list the public neighbourhood names, one per line")
        }
        var s = self
        s.neighbourhoods += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        try s.checkNeighbourhoods()
        try s.checkFeedHasNeighbourhoods()
        return s
    }

    /// The domain is a set of keys: each name once.
    private func checkNeighbourhoods() throws(ConfigurationError) {
        if Set(neighbourhoods).count != neighbourhoods.count {
            throw ConfigurationError(
                key: "public.neighbourhoods", message: "lists a neighbourhood twice", fix: "each name once: the domain is a set of keys")
        }
    }

    private func checkFeedHasNeighbourhoods() throws(ConfigurationError) {
        if topic != nil && neighbourhoods.isEmpty {
            throw ConfigurationError(
                key: "public.neighbourhoods", message: "is empty while topics.public is set",
                fix:
                    "list the public neighbourhood names (or public.neighbourhoods_file); keys must come from a fixed public list, never from the data"
            )
        }
    }

    /// ε as a number with at most 6 decimals, kept in micro-ε so the accountant's sums are exact.
    private static func epsilon(_ r: inout ConfigReader, _ key: String, default fallback: Int64) throws(ConfigurationError) -> Int64 {
        let value = try r.double(key, default: Double(fallback) / 1_000_000)
        let micros = (value * 1_000_000).rounded()
        guard value > 0, value <= 1000, abs(micros - value * 1_000_000) < 1e-3 else {
            throw ConfigurationError(
                key: key, message: "\(value) is not a usable ε",
                fix: "a positive number up to 1000 with at most 6 decimals, e.g. 0.5 (smaller is more private; see docs/PRIVACY.md)")
        }
        return Int64(micros)
    }

    /// The release streams: both families, daily and weekly.
    func releaseConfiguration() -> PublicReleaseConfiguration {
        var streams: [PublicReleaseConfiguration.Stream] = []
        for family in PublicDomain.Family.allCases {
            streams.append(
                .init(
                    family: family, schedule: ReleaseSchedule(period: .day, startingAt: start, horizon: dailyHorizon),
                    epsilonMicros: dailyEpsilonMicros))
            streams.append(
                .init(
                    family: family, schedule: ReleaseSchedule(period: .week, startingAt: start, horizon: weeklyHorizon),
                    epsilonMicros: weeklyEpsilonMicros))
        }
        return PublicReleaseConfiguration(
            streams: streams, totalMicros: totalEpsilonMicros, nonNegative: nonNegative, areaTotals: areaTotals)
    }

    func domain(bounds: GeoBounds) -> PublicDomain {
        PublicDomain(neighbourhoods: neighbourhoods, categories: categories, grid: MetricGrid(cellSize: cellSizeMeters, bounds: bounds))
    }
}
