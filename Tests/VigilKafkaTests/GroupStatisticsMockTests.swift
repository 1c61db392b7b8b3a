import Foundation
import Testing
import VigilKafka

/// The group's join state reaches `KafkaConsumer.groupStatistics` from librdkafka's statistics, on
/// librdkafka's mock cluster: steady once the member owns its partitions, and never steady while
/// the coordinator keeps refusing its joins (a rebalance that does not complete, which no
/// rebalance callback reports).
@Suite("Consumer group statistics on a mock cluster", .serialized)
struct GroupStatisticsMockTests {
    static func member(_ cluster: KafkaMockCluster, listener: RecordingListener) throws -> KafkaConsumer {
        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration([
                "bootstrap.servers": cluster.bootstrapServers, "group.id": TestEnvironment.uniqueName("stats"),
                "statistics.interval.ms": "200"
            ]),
            logger: TestEnvironment.logger)
        consumer.rebalanceListener = listener
        try consumer.subscribe(["stats"])
        return consumer
    }

    /// Polls until `done` holds or `seconds` pass; whether it held.
    static func poll(_ consumer: KafkaConsumer, seconds: TimeInterval, until done: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !done() && Date() < deadline { consumer.poll(timeoutMs: 20) { _ in } }
        return done()
    }

    @Test func aSettledMemberReportsSteady() throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("stats", partitions: 2)
        let listener = RecordingListener()
        let consumer = try Self.member(cluster, listener: listener)
        defer { consumer.close() }
        #expect(Self.poll(consumer, seconds: 60) { listener.owned.count == 2 }, "the member owns both partitions")
        #expect(
            Self.poll(consumer, seconds: 30) { consumer.groupStatistics?.isSteady == true },
            "\(String(describing: consumer.groupStatistics))")
        #expect(consumer.groupStatistics?.state == "up")
    }

    @Test func aJoinTheCoordinatorKeepsRefusingIsNeverSteady() throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("stats", partitions: 2)
        // Every JoinGroup for a long while answered REBALANCE_IN_PROGRESS (27): librdkafka keeps
        // rejoining, as a member of a group whose rebalance never completes does.
        cluster.failNext(.joinGroup, with: Array(repeating: 27, count: 5_000))
        let listener = RecordingListener()
        let consumer = try Self.member(cluster, listener: listener)
        defer { consumer.close() }
        var settlement = GroupSettlement()
        var observations = 0
        var states: Set<String> = []
        // Longer than a settled member takes to report steady here (aSettledMemberReportsSteady).
        let deadline = Date().addingTimeInterval(8)
        while Date() < deadline {
            consumer.poll(timeoutMs: 20) { _ in }
            if let stats = consumer.groupStatistics {
                observations += 1
                states.insert(stats.joinState)
            }
            settlement.observe(consumer.groupStatistics, at: .now)
        }
        #expect(observations > 0, "statistics arrived")
        #expect(!states.isEmpty && !states.contains("steady"), "join states seen: \(states)")
        #expect(listener.owned.isEmpty, "nothing assigned while the joins are refused")
        #expect(settlement.unsettledSince != nil && settlement.joinState != "steady")
    }
}
