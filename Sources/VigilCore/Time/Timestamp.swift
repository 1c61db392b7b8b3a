/// An instant in event time: milliseconds since the Unix epoch, UTC.
///
/// The core never reads a clock; every `Timestamp` comes from an event or from the edge.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public init(seconds: Int64) { self.milliseconds = seconds * 1000 }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.milliseconds < b.milliseconds }
    public static func + (a: Timestamp, d: EventDuration) -> Timestamp { Timestamp(milliseconds: a.milliseconds + d.milliseconds) }
    public static func - (a: Timestamp, d: EventDuration) -> Timestamp { Timestamp(milliseconds: a.milliseconds - d.milliseconds) }

    public var description: String { RFC3339.format(self) }
}
