/// What a partition's scan sends the city's lifecycle (`FindingsMerge`), each at its place in the
/// city's order: a partition's outputs have strictly increasing `key`s, so a repeat after a restart
/// (at-least-once) is recognised by its key alone.
public enum ScanOutput: Sendable, Equatable {
    /// The re-checks of the partition's watched centres at the tick of `sequence` (a new city hour
    /// `hour`). Sent by every partition at every tick, even with no results, so the lifecycle knows
    /// when it has every partition's share of a tick.
    case rechecks(sequence: Int64, hour: Int64, results: [ClusterWatchResult])
    /// The significant cylinder of the partition's own incident at `sequence`.
    case candidate(sequence: Int64, ClusterCandidate)
    /// The partition has sent everything for the incidents up to and including `sequence`.
    case mark(sequence: Int64)

    /// Place in the city's order: a tick's re-checks come before the incident of the same sequence
    /// counts (as on one engine), its candidate after, a mark last.
    public var key: FindingsKey {
        switch self {
        case .rechecks(let s, _, _): FindingsKey(sequence: s, step: 0)
        case .candidate(let s, _): FindingsKey(sequence: s, step: 1)
        case .mark(let s): FindingsKey(sequence: s, step: 2)
        }
    }
}

/// A place in the city's order of findings: the router's sequence, then the step within it.
public struct FindingsKey: Sendable, Hashable, Comparable {
    public var sequence: Int64
    public var step: Int

    public static func < (a: FindingsKey, b: FindingsKey) -> Bool { (a.sequence, a.step) < (b.sequence, b.step) }
}
