/// Lets the owner of per-partition state react while a consumer group moves partitions.
///
/// Both methods run on the polling thread, inside `KafkaConsumer.poll`, at the moment librdkafka
/// hands the change to the application: `willRevoke` runs *before* the partitions are given up,
/// so the owner can finish in-flight work, commit and drop state while it still owns them.
/// The same calls are made for the eager and the cooperative (incremental) protocols.
public protocol KafkaRebalanceListener: AnyObject {
    /// The consumer is about to lose `partitions`. With `lost == true` they are already owned by
    /// someone else (session timed out): drop state, do not commit.
    func consumer(_ consumer: KafkaConsumer, willRevoke partitions: [TopicPartition], lost: Bool)

    /// The consumer is about to start fetching `partitions`. Return a start offset for any
    /// partition that must not resume at its committed offset (e.g. rewind to rebuild state).
    func consumer(_ consumer: KafkaConsumer, willAssign partitions: [TopicPartition]) -> [TopicPartition: Int64]
}
