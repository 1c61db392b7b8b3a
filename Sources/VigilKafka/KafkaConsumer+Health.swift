import CRdKafka

extension KafkaConsumer {
    /// The cluster's reachability as librdkafka's events tell it (see `BrokerHealth`).
    public var brokerHealth: BrokerHealth { context.brokerHealth.withLock { $0 } }

    /// Messages between the consumer's position and the high watermark librdkafka last saw for
    /// each partition (cached from fetch responses: no broker round trip). Partitions without a
    /// known position or watermark are left out; brokers that misreport watermarks misreport lag.
    public func lag(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        return TopicPartitionList.with(partitions) { list in
            guard rd_kafka_position(handle, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
            var out: [TopicPartition: Int64] = [:]
            for (tp, position, err) in TopicPartitionList.entries(list) where err == RD_KAFKA_RESP_ERR_NO_ERROR && position >= 0 {
                var low: Int64 = -1
                var high: Int64 = -1
                guard rd_kafka_get_watermark_offsets(handle, tp.topic, tp.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0
                else { continue }
                out[tp] = max(0, high - position)
            }
            return out
        }
    }
}
