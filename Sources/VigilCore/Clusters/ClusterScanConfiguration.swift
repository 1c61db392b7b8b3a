import Foundation

/// Settings of the emerging-cluster detector: a prospective space-time scan (Kulldorff) whose
/// cylinders end at each incident, tested against each place's own trailing-year baseline.
///
/// The statistic is specified exactly in docs/CLUSTERS.md (an offline numpy twin checks it).
public struct ClusterScanConfiguration: Sendable, Equatable {
    /// Cylinder radii run from the incident's own cell up to this distance between cell centres.
    public var maxRadiusMetres: Double
    /// Cylinder lengths in whole hours, ending at the incident's hour.
    public var durationsHours: [Int]
    /// No cylinder is a candidate below this many occurrences (tiny-count guard).
    public var minimumObserved: Int
    /// Prior pseudo-count per cell and year (layer `all`; a category layer gets its share), so a
    /// place without history is compared with a small, not a zero, expectation.
    public var priorPerCellYear: Double
    /// Recurrence interval in days = exp(calibrationA + calibrationB × surprise); fitted on the
    /// real stream by tools/reference/fit_recurrence.py (docs/ACCURACY.md).
    public var calibrationA: Double
    public var calibrationB: Double
    /// A cluster is announced (cluster_emerging) when its recurrence interval reaches this, and
    /// ends (cluster_ended) when it no longer does.
    public var minRecurrenceDays: Double
    /// No evaluation until the baseline holds this many weeks with data (a fresh stream's first
    /// weeks would otherwise judge every place against a few days of history).
    public var minimumBaselineWeeks: Int
    /// Incidents of one layer at exactly the same point within this long of the last one counted
    /// there are one occurrence (0, the default: only rows at the same point and time, as Toronto
    /// files one event's several offences). Longer windows also collapse serial incidents at one
    /// address; the Poisson statistic needed that, the surprise does not (docs/ACCURACY.md).
    public var repeatWindowHours: Int
    /// A cluster is announced again (cluster_grew) when its observed count reaches this factor of
    /// the count last announced (and at least 3 more incidents).
    public var growthFactor: Double

    public init(
        maxRadiusMetres: Double = 750, durationsHours: [Int] = [1, 3, 6, 12, 24, 48, 72, 168],
        minimumObserved: Int = 3, priorPerCellYear: Double = 0.5,
        calibrationA: Double = ClusterScanConfiguration.defaultCalibrationA,
        calibrationB: Double = ClusterScanConfiguration.defaultCalibrationB,
        minRecurrenceDays: Double = 365, growthFactor: Double = 2, minimumBaselineWeeks: Int = 8,
        repeatWindowHours: Int = 0
    ) {
        self.maxRadiusMetres = maxRadiusMetres
        self.durationsHours = durationsHours
        self.minimumObserved = minimumObserved
        self.priorPerCellYear = priorPerCellYear
        self.calibrationA = calibrationA
        self.calibrationB = calibrationB
        self.minRecurrenceDays = minRecurrenceDays
        self.growthFactor = growthFactor
        self.minimumBaselineWeeks = minimumBaselineWeeks
        self.repeatWindowHours = repeatWindowHours
    }

    /// Fitted on Toronto 2014–2017 (tools/reference/fit_recurrence.py; docs/ACCURACY.md).
    public static let defaultCalibrationA = -3.6943
    public static let defaultCalibrationB = 0.3265

    /// Days between chance findings at least this strong, city-wide.
    @inline(__always) public func recurrenceDays(surprise: Double) -> Double {
        exp(calibrationA + calibrationB * surprise)
    }

    /// The surprise whose recurrence interval is `days` (the alerting threshold).
    public func surprise(forRecurrenceDays days: Double) -> Double {
        (log(days) - calibrationA) / calibrationB
    }

    /// Radii in cells: 0 (the cell itself) … floor(maxRadiusMetres / cellSize).
    public func maxRadiusCells(cellSize: Double) -> Int { Int((maxRadiusMetres / cellSize).rounded(.down)) }

    public func problems(cellSize: Double) -> [(key: String, message: String)] {
        var out: [(String, String)] = []
        if !(maxRadiusMetres >= 0) || maxRadiusCells(cellSize: cellSize) > 8 {
            out.append(("max_radius_m", "must be between 0 and 8 grid cells (\(Int(8 * cellSize)) m with this grid)"))
        }
        if durationsHours.isEmpty || durationsHours.contains(where: { !(1...168).contains($0) })
            || Set(durationsHours).count != durationsHours.count
        {
            out.append(("durations", "must be distinct whole hours between 1h and 168h (7d)"))
        }
        if minimumObserved < 2 { out.append(("minimum_observed", "must be at least 2")) }
        if !(priorPerCellYear > 0 && priorPerCellYear < 1000) { out.append(("prior_per_cell_year", "must be positive, e.g. 0.5")) }
        if !(calibrationB > 0 && calibrationB.isFinite && calibrationA.isFinite) {
            out.append(("calibration", "must be [a, b] with b > 0 (refit with tools/reference/calibrate_clusters.py)"))
        }
        if !(minRecurrenceDays >= 1 && minRecurrenceDays <= 36_500) { out.append(("min_recurrence", "must be between 1d and 36500d")) }
        if !(0...168).contains(repeatWindowHours) { out.append(("repeat_window", "must be whole hours between 0h and 7d")) }
        if !(1...52).contains(minimumBaselineWeeks) { out.append(("minimum_baseline_weeks", "must be between 1 and 52")) }
        if !(growthFactor > 1) { out.append(("growth_factor", "must be greater than 1, e.g. 2")) }
        return out
    }
}
