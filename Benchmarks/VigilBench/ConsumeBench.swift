import ArgumentParser
import Foundation
import Logging
import VigilKafka

/// The ceiling for end-to-end throughput: a bare librdkafka group consume loop (the same
/// `KafkaConsumer` and batch size the daemon uses) that touches each payload and does nothing else.
struct ConsumeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Consume a topic as fast as possible (fresh group, from the earliest offset) and report messages/s.")

    @Option(help: "Kafka bootstrap servers.")
    var bootstrap: String

    @Option(help: "Topic to read.")
    var topic: String = "incidents"

    @Option(help: "Stop after this many messages (the broker's high watermark cannot be trusted).")
    var expect: Int

    @Option(help: "Give up this many seconds after the last message.")
    var idleSeconds: Double = 10

    @Option(help: "Messages per poll (the daemon's pipeline.max_batch).")
    var maxBatch: Int = 1000

    @Option(help: "Consumer group (default: a fresh one per run).")
    var group: String?

    func run() throws {
        let logger = Logger(label: "vigil-bench.consume")
        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration([
                "bootstrap.servers": bootstrap,
                "group.id": group ?? "vigil-bench-\(UInt64(Date().timeIntervalSince1970 * 1000))-\(getpid())",
                "enable.auto.commit": "false"
            ]), logger: logger, maxBatch: maxBatch)
        let assignment = AssignmentClock()
        consumer.rebalanceListener = assignment
        try consumer.subscribe([topic])
        var count = 0
        var bytes = 0
        var checksum: UInt64 = 0
        var first: UInt64 = 0
        var last: UInt64 = 0
        let started = Clock.now()
        while count < expect {
            let before = count
            consumer.poll(timeoutMs: 100) { record in
                if let value = record.value {
                    bytes += value.count
                    if let b = value.first { checksum &+= UInt64(b) }
                }
                count += 1
            }
            let now = Clock.now()
            if count > before {
                if first == 0 { first = now }
                last = now
            } else if Double(now - (first == 0 ? started : last)) / 1e9 > idleSeconds {
                break
            }
        }
        consumer.close()
        // From the moment partitions were assigned (group join excluded, fetching included).
        let from = assignment.assignedAt ?? first
        let seconds = max(Double(last - from) / 1e9, 1e-9)
        print(
            String(
                format:
                    "{\"consumer\":\"bare-librdkafka\",\"messages\":%d,\"expected\":%d,\"seconds\":%.3f,\"messages_per_s\":%.0f,\"mb_per_s\":%.1f,\"join_seconds\":%.3f,\"checksum\":%llu}",
                count, expect, seconds, Double(count) / seconds, Double(bytes) / seconds / 1e6, Double(from - started) / 1e9, checksum))
        if count < expect { throw ExitCode(2) }
    }
}

/// Remembers when the group handed this consumer its partitions.
final class AssignmentClock: KafkaRebalanceListener {
    var assignedAt: UInt64?

    func consumer(_ consumer: KafkaConsumer, willRevoke partitions: [TopicPartition], lost: Bool) {}

    func consumer(_ consumer: KafkaConsumer, willAssign partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        if assignedAt == nil, !partitions.isEmpty { assignedAt = Clock.now() }
        return [:]
    }
}
