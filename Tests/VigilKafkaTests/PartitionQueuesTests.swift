import Foundation
import Testing

@testable import VigilKafka

/// `KafkaConsumer(partitionQueues: true)` on the real broker: with a backlog on every partition,
/// poll batches hold several partitions (what keeps the second core busy), and each partition's
/// records still arrive once each, in offset order.
@Suite("partition queues: batches across partitions, each partition in order", .serialized)
struct PartitionQueuesTests {
    /// Reads `count` records of `topic` with a fresh group; every batch's partitions and records.
    static func read(
        _ topic: String, count: Int, partitionQueues: Bool
    ) throws -> (batches: [Set<Int32>], records: [(Int32, Int64, String)]) {
        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration([
                "bootstrap.servers": try TestEnvironment.bootstrap, "group.id": TestEnvironment.uniqueName("pq"),
                // A backlog on every partition before the first poll returns records.
                "fetch.wait.max.ms": "10"
            ]), logger: TestEnvironment.logger, maxBatch: 200, partitionQueues: partitionQueues)
        defer { consumer.close() }
        try consumer.subscribe([topic])
        var batches: [Set<Int32>] = []
        var records: [(Int32, Int64, String)] = []
        let deadline = Date().addingTimeInterval(60)
        var waitedForBacklog = false
        while records.count < count && Date() < deadline {
            var batch = Set<Int32>()
            consumer.poll(timeoutMs: 100) { record in
                batch.insert(record.partition)
                records.append((record.partition, record.offset, String(decoding: record.value!, as: UTF8.self)))
            }
            if !batch.isEmpty { batches.append(batch) }
            // Once assigned, let librdkafka prefetch every partition, so batches could mix.
            if !waitedForBacklog, (try? consumer.assignment().count) == 4 {
                waitedForBacklog = true
                usleep(1_500_000)
            }
        }
        return (batches, records)
    }

    @Test func batchesHoldSeveralPartitionsAndEachPartitionIsReadOnceInOrder() throws {
        let topic = TestEnvironment.uniqueName("pq")
        try TestEnvironment.admin().createTopics([topic: 4])
        let producer = try TestEnvironment.producer(["linger.ms": "50"])
        defer { producer.close(timeoutMs: 5000) }
        let perPartition = 3000
        var sent: [OutgoingMessage] = []
        for i in 0..<perPartition {
            for p in 0..<4 {
                sent.append(OutgoingMessage(topic: topic, partition: Int32(p), key: nil, value: Array("p\(p)-\(i)".utf8), headers: []))
            }
        }
        _ = try TestEnvironment.produceAll(producer, sent)

        let (batches, records) = try Self.read(topic, count: sent.count, partitionQueues: true)
        #expect(records.count == sent.count, "every record read, none twice")
        for p in Int32(0)..<4 {
            let mine = records.filter { $0.0 == p }
            #expect(mine.map(\.2) == (0..<perPartition).map { "p\(p)-\($0)" }, "partition \(p) in order, once each")
            #expect(mine.map(\.1) == mine.map(\.1).sorted())
        }
        // With a backlog of 3,000 records a partition, full batches take a fair share of each.
        let mixed = batches.filter { $0.count == 4 }.count
        #expect(mixed * 2 >= batches.count, "\(mixed) of \(batches.count) batches held all 4 partitions")
    }
}
