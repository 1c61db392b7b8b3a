/// How long a consumer's group membership has been unsettled, from the statistics it reports: a
/// pure state machine fed with observations and the monotonic time they were made at, so its
/// decisions are tested without a broker or a clock.
///
/// Why: a rebalance that never completes leaves the member polling as usual with part of the work
/// unowned; readiness and `/metrics` need "not settled for how long", not a momentary state
/// (every normal rebalance passes through the unsettled states for a few seconds).
public struct GroupSettlement: Sendable, Equatable {
    /// When the membership last left "steady" (or was first seen unsettled); nil while steady or
    /// before the first statistics arrive.
    public private(set) var unsettledSince: ContinuousClock.Instant?
    /// The join state last observed ("" before any).
    public private(set) var joinState = ""

    public init() {}

    /// Takes the latest statistics (nil: none yet, which changes nothing) seen at `now`.
    public mutating func observe(_ statistics: ConsumerGroupStatistics?, at now: ContinuousClock.Instant) {
        guard let statistics else { return }
        joinState = statistics.joinState
        if statistics.isSteady {
            unsettledSince = nil
        } else if unsettledSince == nil {
            unsettledSince = now
        }
    }

    /// How long the membership has been unsettled at `now`; zero while steady or unknown.
    public func unsettled(at now: ContinuousClock.Instant) -> Duration {
        unsettledSince.map { max(.zero, now - $0) } ?? .zero
    }
}
