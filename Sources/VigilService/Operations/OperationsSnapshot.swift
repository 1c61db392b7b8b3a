import VigilCore
import VigilKafka

/// What the admin side may know about the daemon: an immutable value the processing loop
/// publishes at a fixed cadence, so HTTP requests never touch (or lock) the hot path.
struct OperationsSnapshot: Sendable {
    /// One assigned input partition.
    struct Partition: Sendable {
        var topicPartition: TopicPartition
        /// Rebuilding state by replay (not yet caught up to the committed offset): not ready.
        var rebuilding: Bool = false
        /// Newest event time seen (the watermark is this minus the allowed lateness).
        var newestEventTime: Timestamp?
        /// Messages behind the partition's high watermark, when librdkafka knows it.
        var lag: Int64?
        var keys: Int = 0
    }

    /// A hotspot with the partition whose engine holds it.
    struct PartitionHotspot: Sendable {
        var partition: TopicPartition
        var hotspot: Hotspot
    }

    /// Wall-clock seconds since the epoch when it was taken (for display only).
    var takenAt: Double = 0
    var statistics = PipelineStatistics()
    var keys = 0
    var capHits = 0
    var keysExpired = 0
    var partitions: [Partition] = []
    /// False until the consumer has joined its group and received an assignment.
    var hasAssignment = false
    var brokerReachable = true
    var brokerReason: String?
    var hotspots: [PartitionHotspot] = []
    var batchLatency = LatencyHistogram()
    /// The risk model's version once a model is loaded (the `[model]` section); nil: none.
    var modelVersion: String?
    var reloadsApplied = 0
    var reloadsRefused = 0
    /// Committed offsets found outside the log (see `PartitionRecovery.Anomaly`), recent ones.
    var recoveryProblems: [String] = []
    /// The tile layout's stages (`[scale_out]`) with partitions still rebuilding, by stage name:
    /// until a stage's partitions reach their committed offsets it publishes nothing, so the
    /// cluster alerts of their tiles are held back and the daemon is not ready, whatever the main
    /// pipeline says. A stage that owns no partitions (another instance holds them) is no reason.
    var stagesRebuilding: [String: Int] = [:]
    /// Stages whose consumer group has not settled for `StageBoard.unsettledLimit` seconds or more
    /// (by stage name: the join state and the seconds), and the same for the main pipeline's group:
    /// a rebalance that never completes leaves partitions no member consumes.
    var stagesUnsettled: [String: (joinState: String, seconds: Int)] = [:]
    var groupUnsettled: (joinState: String, seconds: Int)?
    /// Seconds the main pipeline's group membership has not been settled (0 while steady).
    var groupUnsettledSeconds = 0

    /// Why the daemon is not ready, or nil when it is (see docs/OPERATIONS.md, "Health").
    var notReadyReason: String? {
        if !brokerReachable { return "broker unreachable: \(brokerReason ?? "no broker answers")" }
        if !hasAssignment || partitions.isEmpty { return "no partitions assigned" }
        if !recoveryProblems.isEmpty { return "recovery: \(recoveryProblems.joined(separator: "; "))" }
        let rebuilding = partitions.filter(\.rebuilding).map(\.topicPartition.description)
        if !rebuilding.isEmpty { return "rebuilding state: \(rebuilding.joined(separator: ", "))" }
        if !stagesRebuilding.isEmpty {
            let stages = stagesRebuilding.keys.sorted().map { name in
                let n = stagesRebuilding[name]!
                return "\(name) (\(n) partition\(n == 1 ? "" : "s"))"
            }
            return "rebuilding stage state: \(stages.joined(separator: ", "))"
        }
        if let g = groupUnsettled { return "consumer group not settled: \(g.joinState) for \(g.seconds) s" }
        if !stagesUnsettled.isEmpty {
            let stages = stagesUnsettled.keys.sorted().map { name in
                "\(name) (\(stagesUnsettled[name]!.joinState) for \(stagesUnsettled[name]!.seconds) s)"
            }
            return "stage consumer group not settled: \(stages.joined(separator: ", "))"
        }
        return nil
    }
}
