import Foundation
import Testing

@testable import VigilKafka

@Suite("Kafka producer and consumer against the real broker", .serialized)
struct KafkaRoundTripTests {
    @Test func messagesKeysHeadersTimestampsAndTombstonesRoundTrip() throws {
        let topic = TestEnvironment.uniqueName("roundtrip")
        try TestEnvironment.admin().createTopics([topic: 2])
        let producer = try TestEnvironment.producer()
        defer { producer.close(timeoutMs: 5000) }
        var sent: [OutgoingMessage] = (0..<50).map { i in
            OutgoingMessage(
                topic: topic, key: Array("key-\(i % 7)".utf8), value: Array("value-\(i)".utf8),
                headers: [KafkaHeader("n", "\(i)"), KafkaHeader("null-header", nil as [UInt8]?)],
                timestamp: 1_600_000_000_000 + Int64(i))
        }
        sent.append(OutgoingMessage(topic: topic, key: Array("tomb".utf8), value: nil, headers: [KafkaHeader("n", "tombstone")]))
        sent.append(OutgoingMessage(topic: topic, key: nil, value: [], headers: [KafkaHeader("n", "empty")]))
        let reports = try TestEnvironment.produceAll(producer, sent)
        #expect(Set(reports.map(\.opaque)) == Set((1...UInt64(sent.count))), "every opaque ticket comes back exactly once")
        #expect(reports.allSatisfy { $0.topic == topic && $0.offset >= 0 })

        let received = try TestEnvironment.readAll(topic, atLeast: sent.count)
        #expect(received.count == sent.count)
        let byN = Dictionary(uniqueKeysWithValues: received.map { ($0.header("n")!, $0) })
        for i in 0..<50 {
            let m = try #require(byN["\(i)"])
            #expect(m.valueString == "value-\(i)")
            #expect(m.keyString == "key-\(i % 7)")
            #expect(m.timestamp == 1_600_000_000_000 + Int64(i))
            #expect(m.headers.contains(KafkaHeader("null-header", nil as [UInt8]?)))
        }
        let tomb = try #require(byN["tombstone"])
        #expect(tomb.value == nil, "a tombstone arrives as a nil value, not a crash")
        let empty = try #require(byN["empty"])
        #expect(empty.value == [] || empty.value == nil)
        #expect(empty.key == nil)
    }

    @Test func committedOffsetsAreVisibleToTheGroup() throws {
        let topic = TestEnvironment.uniqueName("commit")
        try TestEnvironment.admin().createTopics([topic: 1])
        let producer = try TestEnvironment.producer()
        _ = try TestEnvironment.produceAll(producer, (0..<10).map { OutgoingMessage(topic: topic, key: nil, value: Array("\($0)".utf8)) })
        producer.close(timeoutMs: 1000)

        let group = TestEnvironment.uniqueName("group")
        let consumer = try TestEnvironment.consumer(group: group, ["enable.auto.commit": "false"])
        try consumer.subscribe([topic])
        var seen = 0
        let deadline = Date().addingTimeInterval(30)
        while seen < 10 && Date() < deadline { consumer.poll(timeoutMs: 100) { _ in seen += 1 } }
        #expect(seen == 10)
        let tp = TopicPartition(topic, 0)
        try consumer.storeOffsets([tp: 6])
        try consumer.commit()
        #expect(try consumer.committed([tp])[tp] == 6)
        consumer.close()

        // A new member of the same group resumes at the committed offset.
        let next = try TestEnvironment.consumer(group: group)
        defer { next.close() }
        try next.subscribe([topic])
        var firstOffset: Int64?
        let until = Date().addingTimeInterval(30)
        while firstOffset == nil && Date() < until { next.poll(timeoutMs: 100) { r in if firstOffset == nil { firstOffset = r.offset } } }
        #expect(firstOffset == 6)
    }

    @Test func offsetsForTimesNeverAnswerLaterThanTheFirstMessageAtThatTime() throws {
        let topic = TestEnvironment.uniqueName("times")
        try TestEnvironment.admin().createTopics([topic: 1])
        let producer = try TestEnvironment.producer()
        let base: Int64 = 1_600_000_000_000
        _ = try TestEnvironment.produceAll(
            producer,
            (0..<10).map {
                OutgoingMessage(topic: topic, key: nil, value: Array("\($0)".utf8), timestamp: base + Int64($0) * 60_000)
            })
        producer.close(timeoutMs: 1000)

        // No subscription needed: the lookup asks the partition leader directly.
        let consumer = try TestEnvironment.consumer(group: TestEnvironment.uniqueName("group"))
        defer { consumer.close() }
        let tp = TopicPartition(topic, 0)
        // Kafka answers exactly 4 (the first message at or after the time); the local broker
        // answers the earliest offset whatever the time. Nothing else is right: the former check
        // (any offset from 0 to 4) accepted answers no broker should give.
        let offsets = try consumer.offsetsForTimes([tp: base + 4 * 60_000])
        #expect(offsets[tp] == 4 || offsets[tp] == 0, "got \(String(describing: offsets[tp]))")
        // Past the last message: the end, never an earlier offset.
        let beyond = try consumer.offsetsForTimes([tp: base + 100 * 60_000])
        #expect(beyond[tp] == KafkaOffset.end || beyond[tp] == 10 || beyond[tp] == 0, "got \(String(describing: beyond[tp]))")
    }

    @Test func seekPauseAndResume() throws {
        let topic = TestEnvironment.uniqueName("seek")
        try TestEnvironment.admin().createTopics([topic: 1])
        let producer = try TestEnvironment.producer()
        _ = try TestEnvironment.produceAll(producer, (0..<20).map { OutgoingMessage(topic: topic, key: nil, value: Array("\($0)".utf8)) })
        producer.close(timeoutMs: 1000)
        let consumer = try TestEnvironment.consumer(group: TestEnvironment.uniqueName("seek"))
        defer { consumer.close() }
        try consumer.subscribe([topic])
        var offsets: [Int64] = []
        var deadline = Date().addingTimeInterval(30)
        while offsets.count < 20 && Date() < deadline { consumer.poll(timeoutMs: 100) { offsets.append($0.offset) } }
        #expect(offsets == Array(0..<20))
        let tp = TopicPartition(topic, 0)
        try consumer.seek([tp: 15])
        var again: [Int64] = []
        deadline = Date().addingTimeInterval(30)
        while again.count < 5 && Date() < deadline { consumer.poll(timeoutMs: 100) { again.append($0.offset) } }
        #expect(again == [15, 16, 17, 18, 19])

        try consumer.pause([tp])
        try consumer.seek([tp: 0])
        var whilePaused = 0
        for _ in 0..<10 { consumer.poll(timeoutMs: 50) { _ in whilePaused += 1 } }
        #expect(whilePaused == 0, "a paused partition delivers nothing")
        try consumer.resume([tp])
        var afterResume: [Int64] = []
        deadline = Date().addingTimeInterval(30)
        while afterResume.count < 20 && Date() < deadline { consumer.poll(timeoutMs: 100) { afterResume.append($0.offset) } }
        #expect(afterResume.first == 0)
    }

    @Test func badPropertiesAreReportedByName() {
        #expect {
            _ = try KafkaProducer(configuration: KafkaConfiguration(["no.such.property": "1"]), logger: TestEnvironment.logger)
        } throws: { error in
            (error as? KafkaError)?.message.contains("no.such.property") == true
        }
        #expect(throws: KafkaError.self) {
            _ = try KafkaConsumer(configuration: KafkaConfiguration(["bootstrap.servers": "x:1"]), logger: TestEnvironment.logger)
        }
    }

    @Test func adminCreatesTopicsIdempotentlyAndListsPartitions() throws {
        let topic = TestEnvironment.uniqueName("admin")
        let admin = try TestEnvironment.admin()
        try admin.createTopics([topic: 3])
        try admin.createTopics([topic: 3])
        #expect(try admin.partitions(of: topic) == [0, 1, 2])
    }

    @Test func runtimeVersionIsReported() {
        #expect(LibrdkafkaVersion.string.split(separator: ".").count >= 3)
        #expect(!LibrdkafkaVersion.isBelowRecommended, "tests must run against librdkafka >= 2.1 (see tools/env.sh)")
    }
}
