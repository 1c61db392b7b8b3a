import Foundation
import Logging
import Testing
import VigilCore
import VigilKafka

@testable import VigilService

/// Issue 18: the tile layout's `StageLoop` (consume, produce, commit, rebuild) with the router's
/// decisions, on librdkafka's in-process mock cluster: a restarted stage rebuilds its state by
/// re-reading its input silently up to the committed offset and goes on exactly where it stopped
/// (also when the broker misreports the log's end), a delivery that fails for good stops the stage
/// without committing past it, and so does a committed offset beyond the log's end.
@Suite("StageLoop on a mock cluster: rebuild by re-reading, failed deliveries, offsets beyond the log", .serialized)
struct StageLoopMockTests {
    static let logger: Logger = {
        var logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        return logger
    }()
    static let input = TopicPartition("in", 0)

    /// Incident `n`: two per hour in 2014, on a few cells either side of tile borders.
    static func incident(_ n: Int) -> [UInt8] {
        let hour = n / 2
        let time = String(format: "2014-03-%02dT%02d:%02d:00Z", 1 + hour / 24, hour % 24, (n % 2) * 30)
        let lat = 43.65 + Double(n % 5) * 0.004
        let lon = -79.40 + Double(n % 7) * 0.005
        return Array(
            #"{"id":"s-\#(n)","event_time":"\#(time)","category":"Assault","neighbourhood":"Annex","lat":\#(lat),"lon":\#(lon)}"#.utf8)
    }

    static func config(_ bootstrap: String) throws -> VigilConfiguration {
        try VigilConfiguration.parse(
            toml: """
                [kafka]
                bootstrap_servers = "\(bootstrap)"
                group_id = "g"
                create_topics = false
                [kafka.producer]
                "message.timeout.ms" = "3000"
                [topics]
                incidents = "in"
                alerts = "alerts"
                dead_letter = "dlq"
                [admin]
                listen = ""
                [scale_out]
                enabled = true
                partitions = 3
                tile_cells = 2
                routed_topic = "routed"
                findings_topic = "findings"
                """, environment: [:])
    }

    static func cluster() throws -> KafkaMockCluster {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("in", partitions: 1)
        try cluster.createTopic("routed", partitions: 3)
        for topic in ["findings", "alerts", "dlq"] { try cluster.createTopic(topic, partitions: 1) }
        return cluster
    }

    static func produce(_ range: Range<Int>, to cluster: KafkaMockCluster) throws {
        let producer = try KafkaProducer(configuration: KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers]), logger: logger)
        for n in range {
            try producer.send(
                OutgoingMessage(
                    topic: "in", partition: 0, key: nil, value: incident(n), timestamp: 1_393_632_000_000 + Int64(n) * 1_800_000),
                opaque: UInt64(n + 1))
        }
        _ = producer.flush(timeoutMs: 10_000)
        producer.close(timeoutMs: 1000)
    }

    /// A router stage of group `g.router` on its own thread.
    final class Running: @unchecked Sendable {
        let loop: StageLoop<RouterWork>
        let stop = StopSignal()
        let done = DispatchSemaphore(value: 0)
        var error: (any Error)?

        /// `watermarks`: what the loop is told the log's watermarks are (nil: the broker's answer).
        init(_ config: VigilConfiguration, watermarks: (@Sendable (TopicPartition) -> (low: Int64, high: Int64))? = nil) throws {
            var props = config.consumerProperties
            props["group.id"] = "g.router"
            let work = RouterWork(
                engine: config.engine, decoder: config.decoder, settings: config.scaleOut, maxFutureMs: config.pipeline.maxFutureMs)
            loop = StageLoop(
                name: "router", group: "g.router", topic: "in", work: work,
                consumer: try KafkaConsumer(configuration: props, logger: logger),
                producer: try KafkaProducer(configuration: config.producerProperties, logger: logger), logger: logger,
                output: LogOutput(environment: [:]), stop: stop)
            loop.watermarksForTesting = watermarks
            Thread { [self] in
                do { try loop.run() } catch { self.error = error }
                done.signal()
            }.start()
        }

        /// Stops the loop and waits for it (at most 30 s); true when it ended.
        func finish() -> Bool {
            stop.request()
            return done.wait(timeout: .now() + 30) == .success
        }
    }

    static func committed(_ bootstrap: String) -> Int64? {
        guard
            let observer = try? KafkaConsumer(
                configuration: KafkaConfiguration(["bootstrap.servers": bootstrap, "group.id": "g.router"]), logger: logger)
        else { return nil }
        defer { observer.close() }
        return (try? observer.committed([input], timeoutMs: 2_000))?[input]
    }

    /// Commits `offset` for group `g.router` on `in` from outside any stage (joins the group first).
    static func commitFromOutside(_ offset: Int64, _ bootstrap: String) throws {
        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration(["bootstrap.servers": bootstrap, "group.id": "g.router"]), logger: logger)
        try consumer.subscribe(["in"])
        var seen = 0
        let deadline = Date().addingTimeInterval(30)
        while seen < 1 && Date() < deadline { consumer.poll(timeoutMs: 100) { _ in seen += 1 } }
        try consumer.storeOffsets([input: offset])
        try consumer.commit()
        consumer.close()
    }

    static func waitUntilCommitted(_ target: Int64, _ bootstrap: String) -> Bool {
        let until = Date().addingTimeInterval(60)
        while Date() < until {
            if committed(bootstrap) == target { return true }
            Thread.sleep(forTimeInterval: 0.3)
        }
        return false
    }

    /// Every routed message on `routed` but the marks (whose places depend on poll batches), per
    /// partition in offset order: the envelope's key.
    static func routedKeys(_ bootstrap: String) throws -> [[RouteKey]] {
        let reader = try KafkaConsumer(
            configuration: KafkaConfiguration(["bootstrap.servers": bootstrap, "group.id": "reader", "enable.auto.commit": "false"]),
            logger: logger)
        defer { reader.close() }
        try reader.subscribe(["routed"])
        var out = [[RouteKey]](repeating: [], count: 3)
        var last: Date?
        let started = Date()
        while Date().timeIntervalSince(last ?? started) < (last == nil ? 20 : 3) {
            reader.poll(timeoutMs: 100) { record in
                last = Date()
                let frame = record.value.map { Array($0) } ?? []
                for entry in (try? RoutedFrameCodec.decode(frame)) ?? [] {
                    if case .mark = entry.message { continue }
                    out[Int(record.partition)].append(entry.message.key)
                }
            }
        }
        return out
    }

    /// What a router that never stopped sends for incidents 0..<n (the marks left out).
    static func expectedKeys(_ n: Int, _ config: VigilConfiguration) -> [[RouteKey]] {
        var work = RouterWork(
            engine: config.engine, decoder: config.decoder, settings: config.scaleOut, maxFutureMs: config.pipeline.maxFutureMs)
        var out = [[RouteKey]](repeating: [], count: 3)
        for i in 0..<n {
            let record = KafkaMessage(
                topic: "in", partition: 0, offset: Int64(i), timestamp: 1_393_632_000_000 + Int64(i) * 1_800_000, key: nil,
                value: incident(i), headers: [])
            _ = work.apply(record, live: true, now: Timestamp(milliseconds: 0))
        }
        for frame in work.batchEnded() {
            for entry in try! RoutedFrameCodec.decode(frame.value!) {
                if case .mark = entry.message { continue }
                out[Int(frame.partition!)].append(entry.message.key)
            }
        }
        return out
    }

    /// A second router of the group, started after the first committed 20 incidents, re-reads
    /// them silently (none sent again) and routes the next 5 exactly as one router that never
    /// stopped: same sequences, ticks and city counts. Without the rebuild it would start over at
    /// sequence 0 and the keys on the routed topic would repeat.
    ///
    /// `misreportedEnd`: the second loop is told the high watermark is 1 whatever the log holds (as
    /// the local test broker misreports it): the committed offset 20 seems beyond the end, the
    /// record at 19 refutes it, and the rebuild is the same. The check must not stop a stage on a
    /// wrong watermark.
    @Test(arguments: [false, true])
    func aRestartedRouterRebuildsSilentlyAndGoesOnWhereItStopped(misreportedEnd: Bool) throws {
        let cluster = try Self.cluster()
        let bootstrap = cluster.bootstrapServers
        let config = try Self.config(bootstrap)
        try Self.produce(0..<20, to: cluster)
        let first = try Running(config)
        #expect(Self.waitUntilCommitted(20, bootstrap), "the first router committed its input")
        #expect(first.finish() && first.error == nil)
        #expect(first.loop.statistics.live == 20 && first.loop.statistics.rebuilt == 0)

        try Self.produce(20..<25, to: cluster)
        var misreported: (@Sendable (TopicPartition) -> (low: Int64, high: Int64))?
        if misreportedEnd { misreported = { _ in (low: Int64(0), high: Int64(1)) } }
        let second = try Running(config, watermarks: misreported)
        #expect(Self.waitUntilCommitted(25, bootstrap), "the second router committed the new input")
        #expect(second.finish() && second.error == nil, "\(String(describing: second.error))")
        #expect(second.loop.statistics.rebuilt == 20, "the committed records were re-read silently")
        #expect(second.loop.statistics.live == 5, "only the new records were routed")

        let routed = try Self.routedKeys(bootstrap)
        let expected = Self.expectedKeys(25, config)
        #expect(expected.allSatisfy { !$0.isEmpty }, "every partition receives messages")
        #expect(routed == expected, "the routed topic holds exactly one uninterrupted router's messages, each once")
    }

    /// Every produce request fails with a non-retriable error: the stage stops with the cause,
    /// and the group commits nothing past what was delivered (here: nothing).
    @Test func aDeliveryThatFailsForGoodStopsTheStageWithoutCommittingPastIt() throws {
        let cluster = try Self.cluster()
        let bootstrap = cluster.bootstrapServers
        let config = try Self.config(bootstrap)
        try Self.produce(0..<20, to: cluster)
        cluster.failNext(.produce, with: [Int32](repeating: 87, count: 500))  // INVALID_RECORD
        let running = try Running(config)
        #expect(running.done.wait(timeout: .now() + 60) == .success, "the stage stopped by itself")
        #expect(running.error != nil, "with the cause")
        let committed = Self.committed(bootstrap) ?? KafkaOffset.invalid
        #expect(committed < 1, "nothing committed past an undelivered message (committed \(committed))")
    }

    /// The group's offset is 50 on a log of 20 records (the topic recreated while the group's offsets
    /// survived). Before, the router re-read the 20 silently "up to 50" and waited there, routing
    /// nothing new without a word; now it stops by itself, before applying anything, with a message
    /// naming the topic, partition, committed offset, log end, group and the fix, and commits nothing.
    @Test func aCommittedOffsetBeyondTheLogEndStopsTheStageWithTheFix() throws {
        let cluster = try Self.cluster()
        let bootstrap = cluster.bootstrapServers
        let config = try Self.config(bootstrap)
        try Self.produce(0..<20, to: cluster)
        try Self.commitFromOutside(50, bootstrap)
        #expect(Self.committed(bootstrap) == 50)
        let running = try Running(config)
        #expect(running.done.wait(timeout: .now() + 60) == .success, "the stage stopped by itself")
        let message = (running.error as? StageFailure)?.description ?? "no StageFailure: \(String(describing: running.error))"
        for part in [
            "stage router", "group 'g.router'", "committed offset 50 on in partition 0", "reports the end at 20", "reset to offset 0",
            "--group g.router --topic in --reset-offsets --to-earliest", "--delete --group g.router"
        ] {
            #expect(message.contains(part), "'\(part)' in: \(message)")
        }
        #expect(running.loop.statistics.rebuilt == 0 && running.loop.statistics.live == 0, "nothing applied, silently or live")
        #expect(running.loop.statistics.sent == 0)
        #expect(Self.committed(bootstrap) == 50, "the group's offset is left for the operator to reset")
    }
}
