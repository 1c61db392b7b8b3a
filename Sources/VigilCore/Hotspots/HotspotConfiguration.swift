/// Settings of online hotspot detection (Getis-Ord Gi* over grid cells + connected components).
public struct HotspotConfiguration: Sendable, Equatable {
    /// The window whose per-cell counts are tested (default 28 days in daily buckets).
    public var window: WindowSpec
    /// Event time between evaluations.
    public var evaluateEvery: EventDuration
    /// A cell is hot when its Gi* z-score is at least this (3.09: one-sided p = 0.001).
    public var zThreshold: Double
    /// ... and its 3×3 neighbourhood holds at least this many incidents (tiny-count guard).
    public var minimumLocalCount: Int

    /// Alert hysteresis: a hotspot is announced (opened) once it has this many cells …
    public var minimumCells: Int
    /// … after it has had hot cells in this many consecutive evaluations (one-off flickers of
    /// marginal cells are tracked but not announced) …
    public var minimumPersistence: Int
    /// … announced again (grew) only when it reaches this factor of its last announced size …
    public var growthFactor: Double
    /// … and closed only after it has had no hot cells for this long (it keeps its id if it
    /// comes back sooner). Without this, cells near the threshold make hotspots flicker.
    public var closeAfter: EventDuration

    public init(
        window: WindowSpec = WindowSpec(horizon: .days(28), resolution: .days(1)),
        evaluateEvery: EventDuration = .days(1), zThreshold: Double = 3.090232306167813,
        minimumLocalCount: Int = 5, minimumCells: Int = 3, minimumPersistence: Int = 3, growthFactor: Double = 1.5,
        closeAfter: EventDuration = .days(7)
    ) {
        self.window = window
        self.evaluateEvery = evaluateEvery
        self.zThreshold = zThreshold
        self.minimumLocalCount = minimumLocalCount
        self.minimumCells = minimumCells
        self.minimumPersistence = minimumPersistence
        self.growthFactor = growthFactor
        self.closeAfter = closeAfter
    }

    public func problems() -> [(key: String, message: String)] {
        var out: [(String, String)] = []
        if let p = window.problem { out.append(("window", p)) }
        if evaluateEvery.milliseconds < 60_000 { out.append(("evaluate_every", "must be at least 1m")) }
        if !(zThreshold > 0) { out.append(("z_threshold", "must be positive, e.g. 3.09")) }
        if minimumLocalCount < 1 { out.append(("minimum_local_count", "must be at least 1")) }
        if minimumCells < 1 { out.append(("minimum_cells", "must be at least 1")) }
        if minimumPersistence < 1 { out.append(("minimum_persistence", "must be at least 1")) }
        if !(growthFactor > 1) { out.append(("growth_factor", "must be greater than 1, e.g. 1.5")) }
        if closeAfter.milliseconds < 0 { out.append(("close_after", "must not be negative")) }
        return out
    }
}
