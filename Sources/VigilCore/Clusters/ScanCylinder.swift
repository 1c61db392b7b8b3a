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
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
