import CRdKafka

/// A poll batch's messages kept alive past their `poll` (`KafkaConsumer.keepBatch`), so the
/// `KafkaRecord`s read from them stay valid until `release`.
///
/// Why: with pipelined engines a batch's outputs are sent while the next batch is read, and
/// those outputs still read their input records (keys, the late path's copy). The messages share
/// librdkafka's fetch buffers, so keeping them costs no copy, only that memory a batch longer.
/// Release before the consumer is closed: librdkafka frees its client only after every message.
public final class KeptMessages {
    private var messages: [UnsafeMutablePointer<rd_kafka_message_t>]

    init(_ messages: [UnsafeMutablePointer<rd_kafka_message_t>]) {
        self.messages = messages
    }

    /// How many messages are kept (0 once released).
    public var count: Int { messages.count }

    /// Destroys the messages: every record read from them is invalid after this. Idempotent.
    public func release() {
        for message in messages { rd_kafka_message_destroy(message) }
        messages = []
    }

    deinit { release() }
}
