import Foundation
import Testing
import VigilKafka

/// Broker faults the local test broker cannot produce, on librdkafka's in-process mock cluster.
@Suite("Mock cluster: exact broker answers and injected request errors")
struct MockClusterTests {
    func produce(_ cluster: KafkaMockCluster, _ topic: String, count: Int, base: Int64) throws {
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers]),
            logger: TestEnvironment.logger)
        defer { producer.close(timeoutMs: 1000) }
        _ = try TestEnvironment.produceAll(
            producer,
            (0..<count).map {
                OutgoingMessage(topic: topic, partition: 0, key: nil, value: Array("\($0)".utf8), timestamp: base + Int64($0) * 60_000)
            })
    }

    func consumer(_ cluster: KafkaMockCluster) throws -> KafkaConsumer {
        try KafkaConsumer(
            configuration: KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers, "group.id": TestEnvironment.uniqueName("g")]),
            logger: TestEnvironment.logger)
    }

    /// The positions recovery decides from: log start and high watermark, from the leader.
    @Test func watermarksAreTheLogStartAndEnd() throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("marks", partitions: 1)
        try produce(cluster, "marks", count: 10, base: 1_600_000_000_000)
        let consumer = try consumer(cluster)
        defer { consumer.close() }
        let (low, high) = try consumer.queryWatermarks(TopicPartition("marks", 0))
        #expect(low == 0 && high == 10)
    }

    /// The calls recovery makes at assignment fail when the broker answers with an error: the
    /// pipeline must retry them (it no longer goes live with an empty state).
    @Test func injectedErrorsReachTheCallsRecoveryMakes() throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("faults", partitions: 1)
        try produce(cluster, "faults", count: 3, base: 1_600_000_000_000)
        let consumer = try consumer(cluster)
        defer { consumer.close() }
        let tp = TopicPartition("faults", 0)
        cluster.failNext(.listOffsets, with: [29, 29, 29, 29, 29, 29])  // TOPIC_AUTHORIZATION_FAILED
        #expect(throws: KafkaError.self) { _ = try consumer.queryWatermarks(tp, timeoutMs: 2_000) }
        cluster.failNext(.listOffsets, with: [])
    }
}
