/// The four families of scan findings, each with its own recurrence calibration: layer `all` or a
/// category layer, times a cylinder shorter than `ClusterScanConfiguration.longFromHours` or not.
public enum ScanFamily: Int, Sendable, CaseIterable {
    case categoryShort = 0
    case categoryLong = 1
    case allShort = 2
    case allLong = 3

    /// The family of a cylinder of `layer` (0: all categories) lasting `durationHours`.
    @inline(__always) public init(layer: UInt16, durationHours: Int, longFromHours: Int) {
        self.init(rawValue: (layer == 0 ? 2 : 0) + (durationHours >= longFromHours ? 1 : 0))!
    }

    /// The configuration key of the family's calibration (under `[clusters]`).
    public var key: String {
        switch self {
        case .categoryShort: "calibration"
        case .categoryLong: "calibration_long"
        case .allShort: "calibration_all"
        case .allLong: "calibration_all_long"
        }
    }
}
