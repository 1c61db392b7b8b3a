/// Window counts of one category (or of all categories together) at every horizon the engine keeps.
public struct CategoryWindowCounts: Sendable, Equatable {
    /// nil: all categories together.
    public var category: String?
    /// One count per `IncidentEngine.windows.specs` entry, as of the newest event time.
    public var counts: [Int]
}
