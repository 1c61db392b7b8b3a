import VigilCore

/// `[alerts]` and `[clusters]`: which alert kinds are published, and the emerging-cluster scan.
///
/// By default only cluster alerts are published: they say "something is happening here now that
/// does not usually happen here". Chronic hotspots, count thresholds, neighbourhood surges and
/// high-risk scores stay computed (for /hotspots, the map and the model) but are opt-in as alerts.
struct AlertSettings: Sendable, Equatable {
    static let defaultKinds: [Alert.Kind] = [.clusterEmerging, .clusterGrew, .clusterEnded]

    /// nil: every kind.
    var kinds: Set<Alert.Kind>?
    var clusters: ClusterScanConfiguration?

    static func read(_ r: inout ConfigReader, cellSize: Double) throws(ConfigurationError) -> AlertSettings {
        let names = try r.strings("alerts.kinds", default: defaultKinds.map(\.rawValue))
        var kinds: Set<Alert.Kind>? = []
        for name in names {
            if name == "all" {
                kinds = nil
                continue
            }
            guard let kind = Alert.Kind(rawValue: name) else {
                throw ConfigurationError(
                    key: "alerts.kinds", message: "'\(name)' is not an alert kind",
                    fix: "use \"all\" or kinds from: \(Alert.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kinds?.insert(kind)
        }
        let minRecurrence = try r.string("alerts.min_recurrence", default: "365d")
        guard let recurrence = EventDuration.parse(minRecurrence), recurrence.milliseconds > 0 else {
            throw ConfigurationError(
                key: "alerts.min_recurrence", message: "'\(minRecurrence)' is not a duration",
                fix: "write a duration like \"365d\" (one chance alert a year city-wide)")
        }
        let enabled = try r.bool("clusters.enabled", default: true)
        let defaults = ClusterScanConfiguration()
        var durations: [Int] = []
        for text in try r.strings("clusters.durations", default: defaults.durationsHours.map { "\($0)h" }) {
            guard let d = EventDuration.parse(text), d.milliseconds % 3_600_000 == 0 else {
                throw ConfigurationError(
                    key: "clusters.durations", message: "'\(text)' is not a whole number of hours",
                    fix: "write entries like \"1h\", \"24h\", \"7d\"")
            }
            durations.append(Int(d.milliseconds / 3_600_000))
        }
        let repeatText = try r.string("clusters.repeat_window", default: "\(defaults.repeatWindowHours)h")
        guard let repeatWindow = EventDuration.parse(repeatText), repeatWindow.milliseconds % 3_600_000 == 0 else {
            throw ConfigurationError(
                key: "clusters.repeat_window", message: "'\(repeatText)' is not a whole number of hours",
                fix: "e.g. \"24h\", or \"0h\" for exact duplicates only")
        }
        var calibrations: [RecurrenceCalibration] = []
        for family in ScanFamily.allCases {
            let d = defaults.calibrations[family.rawValue]
            let pair = try r.doubles("clusters.\(family.key)", default: [d.a, d.b])
            guard pair.count == 2 else {
                throw ConfigurationError(
                    key: "clusters.\(family.key)", message: "must be two numbers [a, b]",
                    fix: "recurrence days = exp(a + b × surprise); refit with tools/reference/fit_recurrence.py")
            }
            calibrations.append(RecurrenceCalibration(a: pair[0], b: pair[1]))
        }
        let longText = try r.string("clusters.long_from", default: "\(defaults.longFromHours)h")
        guard let longFrom = EventDuration.parse(longText), longFrom.milliseconds % 3_600_000 == 0 else {
            throw ConfigurationError(
                key: "clusters.long_from", message: "'\(longText)' is not a whole number of hours", fix: "e.g. \"24h\"")
        }
        let scan = ClusterScanConfiguration(
            maxRadiusMetres: try r.double("clusters.max_radius_m", default: defaults.maxRadiusMetres),
            durationsHours: durations,
            minimumObserved: try r.int("clusters.minimum_observed", default: defaults.minimumObserved),
            priorPerCellYear: try r.double("clusters.prior_per_cell_year", default: defaults.priorPerCellYear),
            calibrations: calibrations, longFromHours: Int(longFrom.milliseconds / 3_600_000),
            minRecurrenceDays: Double(recurrence.milliseconds) / 86_400_000,
            growthFactor: try r.double("clusters.growth_factor", default: defaults.growthFactor),
            minimumBaselineWeeks: try r.int("clusters.minimum_baseline_weeks", default: defaults.minimumBaselineWeeks),
            repeatWindowHours: Int(repeatWindow.milliseconds / 3_600_000))
        if let problem = scan.problems(cellSize: cellSize).first {
            let key = problem.key == "min_recurrence" ? "alerts.min_recurrence" : "clusters.\(problem.key)"
            throw ConfigurationError(key: key, message: problem.message, fix: nil)
        }
        return AlertSettings(kinds: kinds, clusters: enabled ? scan : nil)
    }
}
