/// Something a dispatcher or analyst should look at, with the evidence behind it.
///
/// Alerts are values computed purely from the input: the same input gives the same alerts with
/// the same ids, so a replay after a crash reproduces them and consumers can drop duplicates.
public struct Alert: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A (category, cell) rolling count reached the configured threshold.
        case countThreshold = "count_threshold"
    }

    public enum Severity: String, Sendable, Comparable {
        case low, medium, high

        private var rank: Int { self == .low ? 0 : self == .medium ? 1 : 2 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    /// Derived from (rule, key, window end): stable across replays.
    public var id: String
    public var kind: Kind
    /// Name of the rule that fired (configuration section).
    public var rule: String
    public var severity: Severity
    /// Event time of the incident that triggered the alert.
    public var eventTime: Timestamp
    public var category: String?
    public var cell: GridCell
    /// Cell centre, degrees.
    public var latitude: Double
    public var longitude: Double
    public var cellSize: Double
    public var neighbourhood: String?
    /// Window `[start, end)` in event time.
    public var windowStart: Timestamp
    public var windowEnd: Timestamp
    public var count: Int
    public var threshold: Int
    /// Incidents counted in the window (most recent last; at most `CountThresholdRule.maxEvidence`).
    public var incidentIDs: [String]

    /// Kafka key for the alerts topic: the cell, so one place's alerts stay in order.
    public var partitionKey: String { cell.description }
}
