import VigilCore
import VigilKafka

/// One stage of the tile layout (router, tile scan, lifecycle) as decisions with no I/O: what a
/// record of the stage's input topic becomes. `StageLoop` performs them (consume, produce, commit),
/// so every stage is tested without a broker, and its rebuild is the same code run silently.
///
/// Why "rebuild by re-reading": a stage's state is a deterministic function of its input
/// partitions read from their start, so after a restart or a rebalance the loop re-applies every
/// record before the committed offset with `live == false` (outputs dropped: they were published
/// and acknowledged before that commit) and publishes again from the committed offset; what it
/// publishes twice carries the same keys, and the next stage drops it.
protocol StageWork: Sendable {
    /// `partition` was assigned: its state starts empty, and its records are applied from its start.
    mutating func begin(_ partition: Int32)
    /// `partition` was revoked: its state is dropped.
    mutating func end(_ partition: Int32)
    /// Applies one record of `partition`. `live`: false while rebuilding; `now`: the wall clock, read
    /// only for detection times.
    mutating func apply(_ record: KafkaMessage, live: Bool, now: Timestamp) -> StageOutput
    /// The poll batch ended; what is owed for the batch's last live record (the router's marks).
    mutating func batchEnded() -> [OutgoingMessage]
    /// Internal messages this stage could not read and dead-lettered (`/metrics`).
    var malformed: Int { get }
}

/// What a stage sends for one record: messages to topics, and the alerts it published (their JSON
/// also goes to the operators' log and the page's `/events`).
struct StageOutput: Sendable {
    var messages: [OutgoingMessage] = []
    /// Published alerts' JSON; `high`: high severity (journald priority 4, else 5); `kind`: for
    /// `vigil_alerts_total`.
    var alerts: [(json: [UInt8], high: Bool, kind: Alert.Kind)] = []
}
