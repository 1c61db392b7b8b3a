import CRdKafka

/// librdkafka's in-process mock cluster (`rdkafka_mock.h`): Kafka brokers inside this process,
/// for deterministic tests of faults the local test broker cannot produce — a request answered
/// with a chosen error, a broker down, a leader moved. Clients reach it through
/// `bootstrapServers` like any cluster. Tests only; never used by `vigil` itself.
public final class KafkaMockCluster {
    private let owner: OpaquePointer
    private let cluster: OpaquePointer
    /// "host:port,..." of the mock brokers.
    public let bootstrapServers: String

    /// Kafka protocol API keys, for `failNext`.
    public enum API: Int16 {
        case produce = 0
        case fetch = 1
        case listOffsets = 2
        case metadata = 3
        case offsetCommit = 8
        case offsetFetch = 9
        case findCoordinator = 10
        case joinGroup = 11
        case syncGroup = 14
    }

    public init(brokers: Int32 = 1) throws(KafkaError) {
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        _ = rd_kafka_conf_set(conf, "log_level", "0", &errstr, errstr.count)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw .configuration("cannot create the mock cluster's owner: \(textFromBuffer(errstr))")
        }
        guard let mc = rd_kafka_mock_cluster_new(rk, brokers) else {
            rd_kafka_destroy(rk)
            throw .configuration("cannot create a mock cluster")
        }
        owner = rk
        cluster = mc
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(mc))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(owner)
    }

    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws(KafkaError) {
        try KafkaError.check(rd_kafka_mock_topic_create(cluster, name, partitions, replicationFactor), "mock topic \(name)")
    }

    /// The next `errors.count` requests of `api` are answered with these librdkafka codes, in order.
    public func failNext(_ api: API, with errors: [Int32]) {
        let codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        codes.withUnsafeBufferPointer { rd_kafka_mock_push_request_errors_array(cluster, api.rawValue, $0.count, $0.baseAddress) }
    }

    /// Moves the leadership of `topic`'s `partition` to broker `id`.
    public func setLeader(_ topic: String, partition: Int32, broker id: Int32) throws(KafkaError) {
        try KafkaError.check(rd_kafka_mock_partition_set_leader(cluster, topic, partition, id), "mock leader of \(topic)/\(partition)")
    }

    /// Makes broker `id` the coordinator of consumer group `group`.
    public func setGroupCoordinator(_ group: String, broker id: Int32) throws(KafkaError) {
        try KafkaError.check(rd_kafka_mock_coordinator_set(cluster, "group", group, id), "mock coordinator of \(group)")
    }

    /// Delays every response of broker `id` by `ms` (a stalled broker: connected, but slow).
    public func setRoundTrip(broker id: Int32, ms: Int32) throws(KafkaError) {
        try KafkaError.check(rd_kafka_mock_broker_set_rtt(cluster, id, ms), "mock broker \(id) round trip")
    }

    public func setBroker(_ id: Int32, up: Bool) throws(KafkaError) {
        try KafkaError.check(
            up ? rd_kafka_mock_broker_set_up(cluster, id) : rd_kafka_mock_broker_set_down(cluster, id), "mock broker \(id)")
    }
}
