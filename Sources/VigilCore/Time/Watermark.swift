/// Event-time progress of one input partition: the highest event time seen minus the allowed
/// lateness. Events older than the watermark are late and take the side path.
public struct Watermark: Sendable, Equatable {
    public let allowedLateness: EventDuration
    public private(set) var maxEventTime: Timestamp?

    public init(allowedLateness: EventDuration) {
        self.allowedLateness = allowedLateness
    }

    public var current: Timestamp? { maxEventTime.map { $0 - allowedLateness } }

    /// True when `time` is behind the watermark (and must not touch window state).
    public func isLate(_ time: Timestamp) -> Bool {
        guard let current else { return false }
        return time < current
    }

    public mutating func observe(_ time: Timestamp) {
        if maxEventTime.map({ time > $0 }) ?? true { maxEventTime = time }
    }
}
