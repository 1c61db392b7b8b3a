import CRdKafka

/// A topic and partition: the unit of ownership in a consumer group.
public struct TopicPartition: Hashable, Sendable, CustomStringConvertible, Comparable {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

/// Special offsets understood by librdkafka.
public enum KafkaOffset {
    public static let beginning: Int64 = -2  // RD_KAFKA_OFFSET_BEGINNING
    public static let end: Int64 = -1  // RD_KAFKA_OFFSET_END
    public static let stored: Int64 = -1000  // RD_KAFKA_OFFSET_STORED
    public static let invalid: Int64 = -1001  // RD_KAFKA_OFFSET_INVALID
}

/// Bridges between Swift values and `rd_kafka_topic_partition_list_t`.
enum TopicPartitionList {
    /// A native list of `entries`, lent to `body` and destroyed when it returns: every list the
    /// consumer hands librdkafka is made and freed here, so none can leak or be freed twice.
    static func with<R, E: Error>(
        _ entries: [(TopicPartition, Int64)],
        _ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) throws(E) -> R
    ) throws(E) -> R {
        let list = make(entries)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return try body(list)
    }

    /// `partitions` without offsets (`KafkaOffset.invalid`), lent to `body` as `with(_:_:)` does.
    static func with<R, E: Error>(
        _ partitions: [TopicPartition],
        _ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) throws(E) -> R
    ) throws(E) -> R {
        try with(partitions.map { ($0, KafkaOffset.invalid) }, body)
    }

    /// A new native list; the caller destroys it.
    private static func make(_ entries: [(TopicPartition, Int64)]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(max(entries.count, 1)))!
        for (tp, offset) in entries {
            let element = rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition)!
            element.pointee.offset = offset
        }
        return list
    }

    static func entries(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [(TopicPartition, Int64, rd_kafka_resp_err_t)] {
        let count = Int(list.pointee.cnt)
        guard count > 0, let elements = list.pointee.elems else { return [] }
        return (0..<count).map { i in
            let e = elements[i]
            return (TopicPartition(String(cString: e.topic), e.partition), e.offset, e.err)
        }
    }
}
