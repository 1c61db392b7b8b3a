import Logging

/// Counters of the processing loop, logged periodically and at shutdown.
struct PipelineStatistics {
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

    var logMetadata: [String: Logger.MetadataValue] {
        ["stats.consumed": "\(consumed)", "stats.decoded": "\(decoded)", "stats.dead_lettered": "\(deadLettered)",
         "stats.late": "\(late)", "stats.alerts": "\(alerts)", "stats.delivery_failures": "\(deliveryFailures)",
         "stats.consumer_errors": "\(consumerErrors)", "stats.replayed": "\(replayed)", "stats.rebuilds": "\(rebuilds)"]
    }
}
