import CRdKafka

extension KafkaConsumer {
    /// The log start offset and high watermark of `tp`, asked of the partition leader (a broker
    /// round trip of at most `timeoutMs`). Recovery decides from these where the committed
    /// offset stands, instead of waiting to see one exact offset.
    public func queryWatermarks(_ tp: TopicPartition, timeoutMs: Int32 = 5_000) throws(KafkaError) -> (low: Int64, high: Int64) {
        var low: Int64 = -1
        var high: Int64 = -1
        try KafkaError.check(
            rd_kafka_query_watermark_offsets(handle, tp.topic, tp.partition, &low, &high, timeoutMs),
            "query watermarks of \(tp)")
        return (low, high)
    }

    /// The high watermark librdkafka last saw for `tp` in a fetch response (no round trip).
    public func cachedHighWatermark(_ tp: TopicPartition) -> Int64? {
        var low: Int64 = -1
        var high: Int64 = -1
        guard rd_kafka_get_watermark_offsets(handle, tp.topic, tp.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else {
            return nil
        }
        return high
    }

    /// The application's position per partition: one past the last record returned by `poll`
    /// (absent before the first record of a partition).
    public func positions(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        return TopicPartitionList.with(partitions) { list in
            guard rd_kafka_position(handle, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
            var out: [TopicPartition: Int64] = [:]
            for (tp, position, err) in TopicPartitionList.entries(list) where err == RD_KAFKA_RESP_ERR_NO_ERROR && position >= 0 {
                out[tp] = position
            }
            return out
        }
    }
}
