import Foundation
import Testing
import VigilKafka

/// Records what a consumer was told about partition moves.
final class RecordingListener: KafkaRebalanceListener {
    var owned: Set<TopicPartition> = []
    var revokedEvents: [[TopicPartition]] = []
    var assignedEvents: [[TopicPartition]] = []
    /// Ownership seen by the listener at revoke time (must still include the revoked partitions).
    var assignmentAtRevoke: [Set<TopicPartition>] = []

    func consumer(_ consumer: KafkaConsumer, willRevoke partitions: [TopicPartition], lost: Bool) {
        assignmentAtRevoke.append(Set((try? consumer.assignment()) ?? []))
        revokedEvents.append(partitions)
        owned.subtract(partitions)
    }

    func consumer(_ consumer: KafkaConsumer, willAssign partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        assignedEvents.append(partitions)
        owned.formUnion(partitions)
        return [:]
    }
}

@Suite("Consumer group rebalancing against the real broker", .serialized)
struct RebalanceTests {
    @Test(arguments: ["cooperative-sticky", "range"])
    func partitionsMoveBetweenMembersAndTheListenerSeesRevokesBeforeTheyHappen(strategy: String) throws {
        let topic = TestEnvironment.uniqueName("rebalance")
        try TestEnvironment.admin().createTopics([topic: 4])
        let group = TestEnvironment.uniqueName("group")
        let settings = ["partition.assignment.strategy": strategy]
        let all = Set((0..<4).map { TopicPartition(topic, Int32($0)) })

        let first = try TestEnvironment.consumer(group: group, settings)
        let firstListener = RecordingListener()
        first.rebalanceListener = firstListener
        try first.subscribe([topic])
        var deadline = Date().addingTimeInterval(30)
        while firstListener.owned != all && Date() < deadline { first.poll(timeoutMs: 100) { _ in } }
        #expect(firstListener.owned == all, "a lone member owns every partition")

        let second = try TestEnvironment.consumer(group: group, settings)
        let secondListener = RecordingListener()
        second.rebalanceListener = secondListener
        try second.subscribe([topic])
        deadline = Date().addingTimeInterval(45)
        while (secondListener.owned.isEmpty || !firstListener.owned.isDisjoint(with: secondListener.owned)
            || firstListener.owned.union(secondListener.owned) != all) && Date() < deadline
        {
            first.poll(timeoutMs: 50) { _ in }
            second.poll(timeoutMs: 50) { _ in }
        }
        #expect(!secondListener.owned.isEmpty, "the new member gets partitions")
        #expect(firstListener.owned.isDisjoint(with: secondListener.owned))
        #expect(firstListener.owned.union(secondListener.owned) == all)
        #expect(!firstListener.revokedEvents.isEmpty, "the first member was told before losing partitions")
        for (revoked, held) in zip(firstListener.revokedEvents, firstListener.assignmentAtRevoke) {
            #expect(Set(revoked).isSubset(of: held), "revoked partitions are still owned while the listener runs")
        }

        second.close()  // leaves the group: its partitions go back to the first member
        deadline = Date().addingTimeInterval(45)
        while firstListener.owned != all && Date() < deadline { first.poll(timeoutMs: 100) { _ in } }
        #expect(firstListener.owned == all)
        #expect(secondListener.owned.isEmpty, "close revokes through the listener")
        first.close()
    }
}
