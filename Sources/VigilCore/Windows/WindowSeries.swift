/// A per-bucket series of one (neighbourhood, category) window, for the operator's trends.
public struct WindowSeries: Sendable, Equatable {
    public var spec: WindowSpec
    /// Start of the oldest bucket (bucket index × resolution).
    public var start: Timestamp
    /// One count per bucket, oldest first; `spec.buckets` entries.
    public var counts: [Int]
}
