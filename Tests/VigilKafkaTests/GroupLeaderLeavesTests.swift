import Foundation
import Testing
import VigilKafka

/// An instance of the tile layout runs several scan consumers in one group; when it stops they
/// leave a few ms apart, so the last one (which may be the group's leader) leaves while the group
/// is already rebalancing. The remaining members must still take every partition over. The local
/// test broker (tansu 0.6.0) keeps a departed leader in that case and never finishes the rebalance
/// (docs/RELIABILITY.md), so the fault test stops an instance with one scan consumer; this test
/// keeps the two-consumer departure covered on librdkafka's mock cluster, whose coordinator
/// behaves as Kafka's does, through the consumer wrapper and listener the stages use.
@Suite("Consumer group: two members leaving together, the leader last, on a mock cluster", .serialized)
struct GroupLeaderLeavesTests {
    static let partitions = 6

    /// A member of the group; they join one at a time, each after the group settled, so the first
    /// to join stays the leader (a coordinator keeps a leader that rejoins; tansu does too).
    final class Member {
        let consumer: KafkaConsumer
        let listener = RecordingListener()

        init(_ bootstrap: String, group: String, topic: String) throws {
            consumer = try KafkaConsumer(
                configuration: KafkaConfiguration([
                    "bootstrap.servers": bootstrap, "group.id": group,
                    "partition.assignment.strategy": "cooperative-sticky", "session.timeout.ms": "6000",
                    "heartbeat.interval.ms": "500"
                ]),
                logger: TestEnvironment.logger)
            consumer.rebalanceListener = listener
            try consumer.subscribe([topic])
        }
    }

    /// Polls `members` until `done` holds or `seconds` pass; whether it held.
    static func poll(_ members: [Member], seconds: TimeInterval, until done: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !done() && Date() < deadline {
            for m in members { m.consumer.poll(timeoutMs: 20) { _ in } }
        }
        return done()
    }

    static func settled(_ members: [Member], all: Set<TopicPartition>) -> Bool {
        let owned = members.map(\.listener.owned)
        return owned.allSatisfy { !$0.isEmpty } && owned.reduce(0) { $0 + $1.count } == all.count
            && owned.reduce(into: Set<TopicPartition>()) { $0.formUnion($1) } == all
    }

    @Test func theRemainingMembersTakeEveryPartitionWhenTheLeaderLeavesMidRebalance() throws {
        let cluster = try KafkaMockCluster()
        let topic = "routed"
        try cluster.createTopic(topic, partitions: Int32(Self.partitions))
        try Self.leaderLeavesLast(cluster.bootstrapServers, topic: topic)
    }

    /// The scenario on the broker at `bootstrap` (on the local tansu it fails: the survivors
    /// never get the leavers' partitions; with the leader leaving first it passes there too).
    static func leaderLeavesLast(_ bootstrap: String, topic: String) throws {
        let group = TestEnvironment.uniqueName("scan")
        let all = Set((0..<Self.partitions).map { TopicPartition(topic, Int32($0)) })

        // The stopping instance's two members join first: the first of them leads the group.
        var members: [Member] = []
        for _ in 0..<4 {
            members.append(try Member(bootstrap, group: group, topic: topic))
            #expect(Self.poll(members, seconds: 60) { Self.settled(members, all: all) }, "\(members.count) members share the topic")
        }
        let (leader, other) = (members[0], members[1])
        let survivors = Array(members[2...])

        // The follower leaves first (the group starts rebalancing), then the leader, at once.
        other.consumer.close()
        leader.consumer.close()
        #expect(leader.listener.owned.isEmpty && other.listener.owned.isEmpty, "close revoked through the listener")

        let tookOver = Self.poll(survivors, seconds: 60) { Self.settled(survivors, all: all) }
        #expect(tookOver, "the survivors own \(survivors.map { $0.listener.owned.map(\.partition).sorted() }), not all \(Self.partitions)")
        for s in survivors { s.consumer.close() }
    }
}
