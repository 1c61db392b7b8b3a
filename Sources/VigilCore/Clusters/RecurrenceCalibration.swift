import Foundation

/// How a family of scan findings maps its surprise to a recurrence interval:
/// days = exp(a + b × surprise), fitted on the real stream (tools/reference/fit_recurrence.py).
///
/// Why families: the scan's chance tail differs by kind of cylinder. On Toronto it is mostly short
/// bursts of one category (3–6 break-ins at one building in an evening); findings of every category
/// together over a day or more are far rarer at the same surprise. One mapping for all would set
/// the threshold by the burst tail for every cylinder. Each family is fitted with a share of the
/// city-wide budget of chance alerts, so an interval of R days still means one chance alert that
/// strong per R days over the whole stream.
public struct RecurrenceCalibration: Sendable, Equatable {
    public var a: Double
    public var b: Double

    public init(a: Double, b: Double) {
        self.a = a
        self.b = b
    }

    /// ln of the days between chance findings of this family at least this strong.
    @inline(__always) public func logDays(surprise: Double) -> Double { a + b * surprise }

    /// The surprise whose recurrence interval is `days`.
    public func surprise(forDays days: Double) -> Double { (log(days) - a) / b }

    /// Both finite, b > 0.
    public var isValid: Bool { b > 0 && b.isFinite && a.isFinite }
}
