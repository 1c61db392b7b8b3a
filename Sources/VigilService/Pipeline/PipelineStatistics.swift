import Logging
import VigilCore

/// Counters of the processing loop, logged periodically and at shutdown, and exported as metrics.
struct PipelineStatistics: Sendable {
    var consumed = 0
    var decoded = 0
    var deadLettered = 0
    var late = 0
    var alerts = 0
    var deliveryFailures = 0
    var consumerErrors = 0
    /// Producer instances replaced because the broker stopped accepting one.
    var producerRestarts = 0
    /// Records applied silently while rebuilding an assigned partition's state.
    var replayed = 0
    /// Records read while rebuilding but not applied (older than the rewind, or fetched early).
    var replaySkipped = 0
    /// Partitions whose state was rebuilt.
    var rebuilds = 0
    /// Incidents stamped further ahead of the server clock than `input.clock_skew`, held aside.
    var heldAhead = 0
    /// Held incidents processed once the clock reached them.
    var heldReleased = 0
    /// Records skipped because the fetch position moved backwards (already processed).
    var rereadSkipped = 0
    /// Times fetching was paused because too many outputs were unacknowledged.
    var backpressurePauses = 0
    /// Outputs given up on (after diversion, or diversion itself), by output kind.
    var deliveryGivenUp: [String: Int] = [:]
    /// Assignments whose committed offset was outside the log, by `PartitionRecovery.Anomaly.kind`.
    var recoveryAnomalies: [String: Int] = [:]
    /// Broker calls at assignment (committed offsets, watermarks, seek) that failed and were retried.
    var recoveryRetries = 0
    /// Outputs still unacknowledged when the shutdown budget ran out: their inputs stay
    /// uncommitted and are read again by the next owner (lost nothing, but said).
    var unacknowledgedAtStop = 0
    /// Dead letters by `vigil.error.reason` (late incidents count under "late_event").
    var deadLetteredByReason: [String: Int] = [:]
    /// Alerts by kind, in `Alert.Kind.allCases` order.
    var alertsByKind = [Int](repeating: 0, count: Alert.Kind.allCases.count)

    mutating func countDeadLetter(reason: String) {
        deadLettered += 1
        deadLetteredByReason[reason, default: 0] += 1
    }

    mutating func countDeliveryGivenUp(kind: String) {
        deliveryGivenUp[kind, default: 0] += 1
    }

    mutating func countAlert(_ kind: Alert.Kind) {
        alerts += 1
        if let index = Alert.Kind.allCases.firstIndex(of: kind) { alertsByKind[index] += 1 }
    }

    var logMetadata: [String: Logger.MetadataValue] {
        [
            "stats.consumed": "\(consumed)", "stats.decoded": "\(decoded)", "stats.dead_lettered": "\(deadLettered)",
            "stats.late": "\(late)", "stats.alerts": "\(alerts)", "stats.delivery_failures": "\(deliveryFailures)",
            "stats.consumer_errors": "\(consumerErrors)", "stats.replayed": "\(replayed)", "stats.rebuilds": "\(rebuilds)",
            "stats.held_ahead": "\(heldAhead)", "stats.delivery_given_up": "\(deliveryGivenUp.values.reduce(0, +))",
            "stats.recovery_anomalies": "\(recoveryAnomalies.values.reduce(0, +))"
        ]
    }
}
