/// One sliding-window horizon and the bucket width it moves by.
///
/// A window of horizon `h` and resolution `r` ending at bucket `b` counts the events whose bucket
/// `floor(t / r)` lies in `(b - h/r, b]`: exact, O(1) to maintain, and reproducible offline.
public struct WindowSpec: Sendable, Hashable, CustomStringConvertible {
    public var horizon: EventDuration
    public var resolution: EventDuration

    public init(horizon: EventDuration, resolution: EventDuration) {
        self.horizon = horizon
        self.resolution = resolution
    }

    /// The defaults: 15 min, 1 h, 24 h, 7 d and 28 d.
    public static let defaults: [WindowSpec] = [
        WindowSpec(horizon: .minutes(15), resolution: .minutes(1)),
        WindowSpec(horizon: .hours(1), resolution: .minutes(5)),
        WindowSpec(horizon: .hours(24), resolution: .hours(1)),
        WindowSpec(horizon: .days(7), resolution: .hours(6)),
        WindowSpec(horizon: .days(28), resolution: .days(1))
    ]

    public var buckets: Int { Int(horizon.milliseconds / resolution.milliseconds) }

    @inline(__always) public func bucket(_ t: Timestamp) -> Int64 {
        floorDivide(t.milliseconds, resolution.milliseconds)
    }

    /// "24h/1h".
    public var description: String { "\(horizon)/\(resolution)" }

    /// Parses "24h/1h" (horizon/resolution).
    public static func parse(_ text: String) -> WindowSpec? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let h = EventDuration.parse(String(parts[0])), let r = EventDuration.parse(String(parts[1])) else {
            return nil
        }
        return WindowSpec(horizon: h, resolution: r)
    }

    /// Why this spec is unusable, or nil.
    public var problem: String? {
        if resolution.milliseconds <= 0 || horizon.milliseconds <= 0 { return "horizon and resolution must be positive" }
        if horizon.milliseconds % resolution.milliseconds != 0 {
            return "horizon \(horizon) is not a whole multiple of resolution \(resolution)"
        }
        if buckets > 10_000 { return "\(buckets) buckets; use a coarser resolution (at most 10000 buckets)" }
        return nil
    }
}
