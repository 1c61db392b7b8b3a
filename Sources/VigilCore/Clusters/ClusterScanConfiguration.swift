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
    /// Recurrence interval in days of a finding = exp(a + b × surprise) with its family's (a, b),
    /// indexed by `ScanFamily.rawValue`; fitted on the real stream by
    /// tools/reference/fit_recurrence.py (docs/ACCURACY.md).
    public var calibrations: [RecurrenceCalibration]
    /// Cylinders at least this long are the `…Long` families.
    public var longFromHours: Int
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
        calibrations: [RecurrenceCalibration] = ClusterScanConfiguration.defaultCalibrations, longFromHours: Int = 24,
        minRecurrenceDays: Double = 365, growthFactor: Double = 2, minimumBaselineWeeks: Int = 8,
        repeatWindowHours: Int = 0
    ) {
        self.maxRadiusMetres = maxRadiusMetres
        self.durationsHours = durationsHours
        self.minimumObserved = minimumObserved
        self.priorPerCellYear = priorPerCellYear
        self.calibrations = calibrations
        self.longFromHours = longFromHours
        self.minRecurrenceDays = minRecurrenceDays
        self.growthFactor = growthFactor
        self.minimumBaselineWeeks = minimumBaselineWeeks
        self.repeatWindowHours = repeatWindowHours
    }

    /// Fitted on Toronto 2014–2017 (tools/reference/fit_recurrence.py, shares 0.4 / 0.1 / 0.2 / 0.3
    /// of the chance-alert budget; docs/ACCURACY.md), in `ScanFamily` order.
    public static let defaultCalibrations = [
        RecurrenceCalibration(a: -3.4225, b: 0.3046), RecurrenceCalibration(a: -4.4165, b: 0.3138),
        RecurrenceCalibration(a: -3.4888, b: 0.3230), RecurrenceCalibration(a: -3.8415, b: 0.4167)
    ]

    /// The same calibration for every family (tests, and a city without a fit per family).
    public static func uniform(_ calibration: RecurrenceCalibration) -> [RecurrenceCalibration] {
        [RecurrenceCalibration](repeating: calibration, count: ScanFamily.allCases.count)
    }

    @inline(__always) public func family(layer: UInt16, durationHours: Int) -> ScanFamily {
        ScanFamily(layer: layer, durationHours: durationHours, longFromHours: longFromHours)
    }

    /// ln of the days between chance findings at least this strong, city-wide: how findings of
    /// different families rank against each other.
    @inline(__always) public func logRecurrenceDays(_ c: ScanCylinder) -> Double {
        calibrations[family(layer: c.layer, durationHours: c.durationHours).rawValue].logDays(surprise: c.surprise)
    }

    /// Days between chance findings at least as strong as `c`, city-wide.
    public func recurrenceDays(_ c: ScanCylinder) -> Double { exp(logRecurrenceDays(c)) }

    /// The surprise whose recurrence interval is `days` in `family` (its alerting threshold).
    public func surprise(forRecurrenceDays days: Double, family: ScanFamily) -> Double {
        calibrations[family.rawValue].surprise(forDays: days)
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
        for family in ScanFamily.allCases
        where !(calibrations.count == ScanFamily.allCases.count && calibrations[family.rawValue].isValid) {
            out.append((family.key, "must be [a, b] with b > 0 (refit with tools/reference/fit_recurrence.py)"))
        }
        if !(1...168).contains(longFromHours) { out.append(("long_from", "must be whole hours between 1h and 168h (7d)")) }
        if !(minRecurrenceDays >= 1 && minRecurrenceDays <= 36_500) { out.append(("min_recurrence", "must be between 1d and 36500d")) }
        if !(0...168).contains(repeatWindowHours) { out.append(("repeat_window", "must be whole hours between 0h and 7d")) }
        if !(1...52).contains(minimumBaselineWeeks) { out.append(("minimum_baseline_weeks", "must be between 1 and 52")) }
        if !(growthFactor > 1) { out.append(("growth_factor", "must be greater than 1, e.g. 2")) }
        return out
    }
}
