import CRdKafka
import Logging

/// Topic administration and metadata: creating the topics Vigil writes to, and listing partitions.
public final class KafkaAdmin {
    private let handle: OpaquePointer
    private let context: KafkaClientContext

    public init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        context = KafkaClientContext(logger: logger)
        let conf = try configuration.makeNativeConf()
        context.install(on: conf)
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw .configuration("cannot create admin client: \(textFromBuffer(errstr))")
        }
        handle = rk
    }

    deinit { rd_kafka_destroy(handle) }

    /// Creates each topic that does not exist yet; an existing topic is not an error.
    /// `replicationFactor` -1 takes the broker's `default.replication.factor`: one replica
    /// with `acks=all` loses what it held when that broker dies.
    public func createTopics(_ topics: [String: Int32], replicationFactor: Int32 = -1, timeoutMs: Int32 = 15_000) throws(KafkaError) {
        guard !topics.isEmpty else { return }
        var errstr = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { for t in newTopics { rd_kafka_NewTopic_destroy(t) } }
        for (name, partitions) in topics.sorted(by: { $0.key < $1.key }) {
            guard let t = rd_kafka_NewTopic_new(name, partitions, replicationFactor, &errstr, errstr.count) else {
                throw .configuration("topic '\(name)': \(textFromBuffer(errstr))")
            }
            newTopics.append(t)
        }
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        newTopics.withUnsafeMutableBufferPointer { rd_kafka_CreateTopics(handle, $0.baseAddress, $0.count, nil, queue) }
        guard let event = rd_kafka_queue_poll(queue, timeoutMs) else {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__TIMED_OUT, message: "creating topics timed out")
        }
        defer { rd_kafka_event_destroy(event) }
        try KafkaError.check(rd_kafka_event_error(event), "create topics")
        guard let result = rd_kafka_event_CreateTopics_result(event) else { return }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for i in 0..<count {
            let code = rd_kafka_topic_result_error(results[i])
            if code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS { continue }
            let name = String(cString: rd_kafka_topic_result_name(results[i]))
            let text = rd_kafka_topic_result_error_string(results[i]).map { String(cString: $0) }
            throw KafkaError(code: code, message: "create topic '\(name)': \(text ?? "")")
        }
    }

    /// The partition ids of `topic`, or an error if the broker does not know it.
    public func partitions(of topic: String, timeoutMs: Int32 = 10_000) throws(KafkaError) -> [Int32] {
        let rkt = rd_kafka_topic_new(handle, topic, nil)
        defer { rd_kafka_topic_destroy(rkt) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        try KafkaError.check(rd_kafka_metadata(handle, 0, rkt, &metadata, timeoutMs), "metadata for \(topic)")
        guard let metadata else { return [] }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0, let t = metadata.pointee.topics?[0] as rd_kafka_metadata_topic? else { return [] }
        try KafkaError.check(t.err, "metadata for \(topic)")
        return (0..<Int(t.partition_cnt)).map { t.partitions[$0].id }.sorted()
    }
}
