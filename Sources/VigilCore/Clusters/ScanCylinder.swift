/// One cylinder of the space-time scan: a disc of cells around `centre` over the hours
/// (endHour − durationHours, endHour], with its observed and expected occurrences.
public struct ScanCylinder: Sendable, Equatable {
    public var centre: GridCell
    /// 0 for all categories, else 1 + the engine's category id.
    public var layer: UInt16
    public var radiusCells: Int
    /// Cells in the disc (1, 5, 13, 29, … for radius 0, 1, 2, 3).
    public var cellCount: Int
    public var durationHours: Int
    public var endHour: Int64
    public var observed: Int
    public var expected: Double
    /// Poisson generalised likelihood ratio: O ln(O/E) − (O − E) when O > E, else 0.
    public var llr: Double

    public var windowStart: Timestamp { ClusterTime.start(ofHour: endHour - Int64(durationHours) + 1) }
    public var windowEnd: Timestamp { ClusterTime.start(ofHour: endHour + 1) }

    /// Kulldorff's Poisson log likelihood ratio for an excess.
    @inline(__always) static func likelihoodRatio(observed: Int, expected: Double) -> Double {
        let o = Double(observed)
        guard o > expected, expected > 0 else { return 0 }
        return o * log(o / expected) - (o - expected)
    }

    /// An expected count above which `observed` occurrences have a likelihood ratio below `floor`:
    /// the ratio falls as the expectation rises (its derivative in E is 1 − O/E < 0 for E < O),
    /// so a bisection finds the crossing; the result is widened by a relative 1e-6 so that rounding
    /// in either computation never skips a cylinder that reaches the floor. Infinity when no
    /// expectation is too large to check (observed 0 never reaches a positive floor: 0).
    static func maximumExpected(observed: Int, floor: Double) -> Double {
        guard observed > 0 else { return 0 }
        guard floor > 0 else { return .infinity }
        var low = Double.leastNormalMagnitude  // the ratio here is ≥ 700·O, above any floor in use
        var high = Double(observed)  // the ratio is 0 from here on
        guard likelihoodRatio(observed: observed, expected: low) >= floor else { return low }
        for _ in 0..<200 {
            let mid = low + (high - low) / 2
            guard mid > low, mid < high else { break }
            if likelihoodRatio(observed: observed, expected: mid) >= floor { low = mid } else { high = mid }
        }
        return high * (1 + 1e-6)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
