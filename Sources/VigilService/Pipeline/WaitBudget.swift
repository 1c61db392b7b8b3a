/// The longest single waits of the processing loop's thread, in one place, so that a test can
/// hold them against the systemd unit (`Deploy/vigil.service`): each must end well inside
/// `WatchdogSec` (the loop feeds the watchdog between waits, never during one), and a stop
/// must end inside `TimeoutStopSec` (`ShutdownBudgetTests`).
enum WaitBudget {
    /// One broker call at assignment or rewind: committed offsets, watermarks, offsets for
    /// times, seek. A call that times out is retried with back-off, the partition not ready.
    static let brokerCallMs: Int32 = 5_000
    /// A produce call waiting for room in a full local queue (the state machine retries after).
    static let queueFullMs = 5_000
    /// One wait for delivery reports while draining (revoke, shutdown).
    static let drainPollMs: Int32 = 50
    /// Closing the producer at the end of a stop, at most.
    static let producerCloseMs = 2_000
    /// The share of `pipeline.shutdown_timeout` spent draining deliveries; the rest is for the
    /// final commit and leaving the group.
    static func shutdownDrainMs(_ shutdownTimeoutMs: Int) -> Int { shutdownTimeoutMs * 3 / 4 }
}
