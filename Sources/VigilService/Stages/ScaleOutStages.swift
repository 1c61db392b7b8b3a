import Foundation
import Logging
import Synchronization
import VigilCore
import VigilKafka

/// The tile layout's three stages inside `vigil run` (`[scale_out] enabled`), each on a thread of
/// its own with its own consumer group (`<group_id>.router`, `.scan`, `.lifecycle`), so the
/// instances of a deployment share them the Kafka way: the router and the lifecycle each run on
/// one instance at a time (one input partition, one findings partition) and move to another when
/// it stops; the scans spread over the routed topic's partitions.
///
/// A stage that fails requests the daemon's stop, and the daemon exits non-zero with the cause.
final class ScaleOutStages: @unchecked Sendable {
    private let config: VigilConfiguration
    private let logger: Logger
    private let stop: StopSignal
    private let board: OperationsBoard?
    private let finished = DispatchGroup()
    private let failures = Mutex<[String]>([])
    private let alerts = Mutex(0)

    /// Alerts the stages published (the lifecycle's cluster alerts), counted as each stage stops:
    /// read after `join`.
    var alertsPublished: Int { alerts.withLock { $0 } }

    /// `board`: where the stages' counters (`/metrics`) and published alerts (`/events`) go.
    init(config: VigilConfiguration, logger: Logger, stop: StopSignal, board: OperationsBoard?) {
        self.board = board
        self.config = config
        self.logger = logger
        self.stop = stop
    }

    /// The topics the stages read and write, with their partition counts, for `kafka.create_topics`.
    static func topics(_ config: VigilConfiguration) -> [String: Int32] {
        [
            config.topics.incidents: 1, config.scaleOut.routedTopic: Int32(config.scaleOut.partitions),
            config.scaleOut.findingsTopic: 1
        ]
    }

    /// Stops startup unless the input and the stages' topics have the partitions the layout needs:
    /// the router is the city's one order, so the input must be one partition; the findings merge
    /// expects exactly `scale_out.partitions` scan partitions. A configuration error (exit 78: a
    /// restart cannot change a topic's partitions), naming the key and the fix.
    static func checkTopics(_ config: VigilConfiguration, admin: KafkaAdmin) throws {
        let incidents = try admin.partitions(of: config.topics.incidents).count
        guard incidents == 1 else {
            throw ConfigurationError(
                key: "scale_out.enabled",
                message:
                    "topic '\(config.topics.incidents)' (topics.incidents) has \(incidents) partitions; the tile layout reads the city in one order from one partition",
                fix:
                    "point topics.incidents at a one-partition topic keyed by city (docs/OPERATIONS.md, \"Scaling out a city\"), or set scale_out.enabled = false for the region-keyed layout"
            )
        }
        let routed = try admin.partitions(of: config.scaleOut.routedTopic).count
        guard routed == config.scaleOut.partitions else {
            throw ConfigurationError(
                key: "scale_out.partitions",
                message: "is \(config.scaleOut.partitions) but topic '\(config.scaleOut.routedTopic)' has \(routed) partitions",
                fix: "set scale_out.partitions to \(routed), or give the layout a new scale_out.routed_topic and scale_out.findings_topic")
        }
        let findings = try admin.partitions(of: config.scaleOut.findingsTopic).count
        guard findings == 1 else {
            throw ConfigurationError(
                key: "scale_out.findings_topic",
                message:
                    "topic '\(config.scaleOut.findingsTopic)' has \(findings) partitions; the lifecycle merges every scan's findings from one partition",
                fix: "give the layout a new scale_out.findings_topic (Vigil creates it with one partition)")
        }
    }

    func start() {
        let engine = config.engine
        let s = config.scaleOut
        let router = RouterWork(engine: engine, decoder: config.decoder, settings: s, maxFutureMs: config.pipeline.maxFutureMs)
        let scan = ScanWork(
            engine: engine, decoder: config.decoder, findingsTopic: s.findingsTopic, deadLetterTopic: config.topics.deadLetter,
            deadLetterMaxBytes: config.reliability.deadLetterMaxBytes)
        let lifecycle = LifecycleWork(
            engine: engine, partitions: s.partitions,
            rendering: .init(
                alertsTopic: config.topics.alerts, capTopic: config.topics.cap, cap: config.operations.cap,
                source: "vigil/\(config.kafka.groupID)", deadLetterTopic: config.topics.deadLetter,
                deadLetterMaxBytes: config.reliability.deadLetterMaxBytes))
        launch("router", group: "router", topic: config.topics.incidents, work: router)
        // Several scan consumers in one group: the routed partitions spread over this instance's cores.
        for i in 0..<s.scanThreads {
            launch(s.scanThreads == 1 ? "scan" : "scan-\(i + 1)", group: "scan", topic: s.routedTopic, work: scan)
        }
        launch("lifecycle", group: "lifecycle", topic: s.findingsTopic, work: lifecycle)
    }

    /// Starts `work` as stage `name` on a thread of its own, a member of group `<group_id>.<group>`.
    private func launch<Work: StageWork>(_ name: String, group: String, topic: String, work: Work) {
        let config = self.config
        let logger = self.logger
        let stop = self.stop
        finished.enter()
        let thread = Thread { [self] in
            defer { finished.leave() }
            do {
                var props = config.consumerProperties
                props["group.id"] = "\(config.kafka.groupID).\(group)"
                props["client.id"] = "\(props["client.id"] ?? config.kafka.clientID)-\(name)"
                let consumer = try KafkaConsumer(configuration: props, logger: logger, maxBatch: config.pipeline.maxBatch)
                let producer = try KafkaProducer(configuration: Self.stageProducerProperties(config), logger: logger)
                let loop = StageLoop(
                    name: name, group: props["group.id"] ?? "", topic: topic, work: work, consumer: consumer, producer: producer,
                    logger: logger, output: .shared, stop: stop, board: board?.stages, feed: board?.alertFeed)
                try loop.run()
                alerts.withLock { $0 += loop.statistics.alertsByKind.reduce(0, +) }
            } catch {
                failures.withLock { $0.append("stage \(name): \(error)") }
                stop.request()
            }
        }
        thread.name = "vigil-\(name)"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// A stage's producer: the daemon's, except that librdkafka never gives up on a retriable
    /// failure (`message.timeout.ms = 0`, overriding an operator's value and its alias
    /// `delivery.timeout.ms`). A stage's outputs are a sequence its readers apply in order and
    /// de-duplicate by key: with a timeout, a frame that timed out during a broker stall while a
    /// later one got through would leave a gap that no re-read fills (the later key marks the
    /// earlier as a repeat), and the stage stopped the daemon at the first timeout. The idempotent
    /// producer (enforced here too) keeps each partition's deliveries in order, so waiting out a stall delivers what
    /// waited, in order; readiness meanwhile names the broker.
    static func stageProducerProperties(_ config: VigilConfiguration) -> KafkaConfiguration {
        var props = config.producerProperties
        props["delivery.timeout.ms"] = nil
        props["message.timeout.ms"] = "0"
        props["enable.idempotence"] = "true"  // the order of retried deliveries
        return props
    }

    /// Waits for the stages to end (after a stop); the failures that ended any, empty when none.
    func join() -> [String] {
        finished.wait()
        return failures.withLock { $0 }
    }
}
