/// When releases happen, fixed in event time and published in advance: one per period (UTC day,
/// or UTC week starting Monday), from a configured first period on, whether or not any count
/// changed, so the timing of a release says nothing about the data.
public struct ReleaseSchedule: Sendable, Equatable, Codable {
    public enum Period: String, Sendable, Codable, CaseIterable {
        case day, week

        public var milliseconds: Int64 { self == .day ? 86_400_000 : 604_800_000 }
        /// 1970-01-01 was a Thursday; weeks start on the Monday before it.
        var originMs: Int64 { self == .day ? 0 : -259_200_000 }
    }

    public let period: Period
    /// Index of the first period released (epoch 0, step 1).
    public let firstPeriod: Int64
    /// Periods per tree: after this many releases the stream's ε for the epoch is spent.
    public let horizon: Int

    public init(period: Period, startingAt start: Timestamp, horizon: Int) {
        self.period = period
        self.firstPeriod = Self.index(of: start, period)
        self.horizon = horizon
    }

    /// The period an instant falls in.
    public func index(of time: Timestamp) -> Int64 { Self.index(of: time, period) }

    static func index(of time: Timestamp, _ period: Period) -> Int64 {
        let offset = time.milliseconds - period.originMs
        return floorDivide(offset, period.milliseconds)
    }

    public func start(of index: Int64) -> Timestamp { Timestamp(milliseconds: period.originMs + index * period.milliseconds) }
    public func end(of index: Int64) -> Timestamp { start(of: index + 1) }

    /// Which tree (epoch) a period belongs to and its step in it (1-based), or nil before the first period.
    public func position(of index: Int64) -> (epoch: Int, step: Int)? {
        guard index >= firstPeriod else { return nil }
        let offset = index - firstPeriod
        return (Int(offset / Int64(horizon)), Int(offset % Int64(horizon)) + 1)
    }
}
