import Foundation
import Logging
import Testing
import VigilKafka

@testable import VigilService

/// Issue 12, recovery at assignment, with the real `IncidentPipeline` on librdkafka's in-process
/// mock cluster: faults the local broker cannot produce (failed committed-offset lookups, a group
/// offset beyond the log end). Serialized: both tests time librdkafka's own behaviour.
@Suite("IncidentPipeline on a mock cluster: recovery at assignment (failed broker calls, offsets outside the log)", .serialized)
struct PipelineRecoveryMockTests {
    static let logger: Logger = {
        var logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        return logger
    }()
    static let tp = TopicPartition("in", 0)

    /// On main the partition went live at once with an empty state (nothing replayed). CI later
    /// caught librdkafka undoing the retried seek (`PartitionRecovery`'s recheck).
    @Test func committedOffsetErrorsAreRetriedAndThePartitionIsRebuiltNotLiveEmpty() throws {
        let cluster = try Self.clusterWithTwentyIncidents(groupCommitted: 10)
        // The coordinator answers the next committed-offset lookups with an error that
        // librdkafka retries internally until the call's timeout: the call fails.
        cluster.failNext(.offsetFetch, with: [Int32](repeating: 14, count: 40))  // COORDINATOR_LOAD_IN_PROGRESS
        let (pipeline, _) = try Self.runUntilCommitted(20, on: cluster)
        #expect(pipeline.statistics.recoveryRetries >= 1, "the failed lookup was retried")
        #expect(pipeline.statistics.replayed == 10, "records 0..<10 rebuilt the state, not skipped")
        #expect(pipeline.statistics.decoded == 10, "records 10..<20 processed live")
        #expect(pipeline.statistics.rebuilds == 1)
    }

    /// "Committed offset beyond the log end" (topic recreated, unclean leader election): the
    /// group's offset is 50 on a log of 20 records. On main the 20 records were replayed silently
    /// as history; now they are read live from the log's start and the anomaly is reported in the
    /// statistics (metric) and to readiness.
    @Test func aCommittedOffsetBeyondTheLogEndIsReportedAndTheLogIsReadLive() throws {
        let cluster = try Self.clusterWithTwentyIncidents(groupCommitted: 50)
        let (pipeline, operations) = try Self.runUntilCommitted(20, on: cluster)
        #expect(pipeline.statistics.recoveryAnomalies["committed_beyond_end"] == 1, "reported, not absorbed")
        #expect(pipeline.statistics.replayed == 0, "nothing of the new log replayed silently")
        #expect(pipeline.statistics.decoded == 20, "the whole new log processed live")
        #expect(operations.recoveryProblems[Self.tp]?.contains("beyond the log end") == true, "readiness names the problem")
    }

    // MARK: - Fixture

    static func incident(_ n: Int) -> [UInt8] {
        Array(
            #"{"id":"mock-\#(n)","event_time":"2014-03-02T08:\#(String(format: "%02d", n)):00Z","category":"Assault","neighbourhood":"Annex","lat":43.67,"lon":-79.40}"#
                .utf8)
    }

    /// A mock cluster whose topic `in` holds 20 incidents, with group `g`'s offset at `groupCommitted`.
    /// `prepare` runs on the new cluster before anything is produced (leaders, coordinators).
    static func clusterWithTwentyIncidents(
        groupCommitted: Int64, brokers: Int32 = 1,
        prepare: (KafkaMockCluster) throws -> Void = { _ in }
    ) throws -> KafkaMockCluster {
        let cluster = try KafkaMockCluster(brokers: brokers)
        try cluster.createTopic("in", partitions: 1)
        for topic in ["alerts", "dlq"] { try cluster.createTopic(topic, partitions: 1) }
        try prepare(cluster)
        let bootstrap = cluster.bootstrapServers
        let producer = try KafkaProducer(configuration: KafkaConfiguration(["bootstrap.servers": bootstrap]), logger: logger)
        for n in 0..<20 {
            try producer.send(OutgoingMessage(topic: "in", partition: 0, key: nil, value: incident(n)), opaque: UInt64(n + 1))
        }
        _ = producer.flush(timeoutMs: 10_000)
        producer.close(timeoutMs: 1000)
        // Join the group (the first poll that returns a record), then commit the offset.
        let first = try KafkaConsumer(configuration: KafkaConfiguration(["bootstrap.servers": bootstrap, "group.id": "g"]), logger: logger)
        try first.subscribe(["in"])
        var seen = 0
        let deadline = Date().addingTimeInterval(30)
        while seen < 1 && Date() < deadline { first.poll(timeoutMs: 100) { _ in seen += 1 } }
        try first.storeOffsets([tp: groupCommitted])
        try first.commit()
        first.close()
        return cluster
    }

    /// Runs the pipeline (group `g`) until the group has committed `target` (asked from outside
    /// the loop, at most 60 s), then stops it; returns it, stopped, with its operations hub.
    static func runUntilCommitted(_ target: Int64, on cluster: KafkaMockCluster) throws -> (IncidentPipeline, OperationsHub) {
        let run = try start(on: cluster)
        run.waitUntilCommitted(target)
        run.pipeline.stop.request()
        #expect(run.done.wait(timeout: .now() + 30) == .success)
        #expect(run.box.error == nil)
        return (run.pipeline, run.operations)
    }

    /// A pipeline of group `g` on `cluster`, running on a thread of its own.
    struct Running {
        var pipeline: IncidentPipeline
        var operations: OperationsHub
        var done: DispatchSemaphore
        var box: ResultBox
        var bootstrap: String

        /// Waits (at most 60 s) until the group has committed `target`, asked from outside the loop.
        func waitUntilCommitted(_ target: Int64) {
            guard
                let observer = try? KafkaConsumer(
                    configuration: KafkaConfiguration(["bootstrap.servers": bootstrap, "group.id": "g"]),
                    logger: PipelineRecoveryMockTests.logger)
            else { return }
            let until = Date().addingTimeInterval(60)
            Thread.sleep(forTimeInterval: 1)
            while Date() < until {
                if let committed = try? observer.committed([tp], timeoutMs: 2_000), committed[tp] == target { break }
                Thread.sleep(forTimeInterval: 0.5)
            }
            observer.close()
        }
    }

    static func start(on cluster: KafkaMockCluster, extraTOML: String = "") throws -> Running {
        let bootstrap = cluster.bootstrapServers
        let config = try VigilConfiguration.parse(
            toml: """
                [kafka]
                bootstrap_servers = "\(bootstrap)"
                group_id = "g"
                create_topics = false
                [topics]
                incidents = "in"
                alerts = "alerts"
                dead_letter = "dlq"
                [admin]
                listen = ""
                \(extraTOML)
                """, environment: [:])
        let consumer = try KafkaConsumer(configuration: config.consumerProperties, logger: logger)
        let operations = OperationsHub.inert(logger: logger)
        let pipeline = try IncidentPipeline(
            config: config, consumer: consumer,
            makeProducer: { try KafkaProducer(configuration: config.producerProperties, logger: logger) },
            logger: logger, output: LogOutput(environment: [:]), stop: StopSignal(),
            operations: operations)
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox(pipeline)
        Thread {
            box.error = Result { try box.pipeline.run() }.failure
            done.signal()
        }.start()
        return Running(pipeline: pipeline, operations: operations, done: done, box: box, bootstrap: bootstrap)
    }
}

/// Hands the pipeline to its thread and its outcome back (read only after the thread ends).
final class ResultBox: @unchecked Sendable {
    let pipeline: IncidentPipeline
    var error: (any Error)?
    init(_ pipeline: IncidentPipeline) { self.pipeline = pipeline }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
