/// The city's lifecycle input: the partitions' findings merged into the city's order.
///
/// Why: partitions run independently and at different speeds, but the lifecycle must apply their
/// findings exactly in the order one engine would have produced them. Each partition's outputs
/// arrive in key order, so everything up to the smallest key every partition has reached is
/// complete: that much is released, in key order, a tick's re-checks from all partitions as one.
/// Repeats (a partition re-sending after a restart) are dropped by key. Pure: no I/O, no clock.
public struct FindingsMerge: Sendable {
    /// What the lifecycle applies, in the city's order.
    public enum Release: Sendable, Equatable {
        case tick(hour: Int64, results: [ClusterWatchResult])
        case candidate(ClusterCandidate)
    }

    private struct Pending: Sendable {
        var hour: Int64?
        var results: [ClusterWatchResult] = []
        var candidate: ClusterCandidate?
    }

    /// Per partition, the last key received (nil: nothing yet, so nothing can be released).
    public private(set) var progress: [FindingsKey?]
    private var pending: [Int64: Pending] = [:]
    public private(set) var repeats = 0
    /// Findings that contradict the layout (two partitions owning one incident, an open cluster no
    /// partition re-checks): only a layout changed under a running city makes them.
    public private(set) var conflicts = 0

    public init(partitions: Int) { progress = Array(repeating: nil, count: partitions) }

    /// Takes `output` from `partition`; false when it is a repeat (at or before that partition's
    /// progress) and was dropped.
    @discardableResult
    public mutating func receive(_ output: ScanOutput, from partition: Int) -> Bool {
        let key = output.key
        if let last = progress[partition], key <= last {
            repeats += 1
            return false
        }
        progress[partition] = key
        switch output {
        case .rechecks(let s, let hour, let results):
            pending[s, default: Pending()].hour = hour
            pending[s, default: Pending()].results += results
        case .candidate(let s, let candidate):
            // Two owners of one incident: the layout changed under a running city (tile_cells or
            // partitions differ between routers). The first is kept and the conflict counted, so
            // the lifecycle reports it instead of stopping on it at every rebuild.
            guard pending[s]?.candidate == nil else {
                conflicts += 1
                return true
            }
            pending[s, default: Pending()].candidate = candidate
        case .mark:
            break
        }
        return true
    }

    /// Everything now complete, in the city's order.
    public mutating func release() -> [Release] {
        var frontier: FindingsKey?
        for p in progress {
            guard let p else { return [] }
            frontier = frontier.map { min($0, p) } ?? p
        }
        guard let frontier else { return [] }
        let due = pending.keys.filter { $0 <= frontier.sequence }.sorted()
        var out: [Release] = []
        for s in due {
            var entry = pending[s]!
            if let hour = entry.hour {
                out.append(.tick(hour: hour, results: entry.results))
                entry.hour = nil
                entry.results = []
            }
            guard let candidate = entry.candidate else {
                pending[s] = nil
                continue
            }
            if FindingsKey(sequence: s, step: 1) <= frontier {
                out.append(.candidate(candidate))
                pending[s] = nil
            } else {
                pending[s] = entry
            }
        }
        return out
    }
}
