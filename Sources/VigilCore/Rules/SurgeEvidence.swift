/// Why a surge alert fired: the seasonal expectation it was judged against and how unlikely the
/// count is under it (Poisson upper tail).
public struct SurgeEvidence: Sendable, Equatable {
    /// Mean count of the same window in each of the trailing weeks (floored at `minimumExpected`).
    public var expected: Double
    public var pValue: Double
    public var trailingWeeks: Int
}
