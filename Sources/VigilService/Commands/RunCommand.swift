import ArgumentParser
import Foundation
import Logging
import Synchronization
import VigilCore
import VigilKafka

/// `vigil run`: the daemon.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Consume incidents, keep windowed state, publish alerts to Kafka and the log.")

    @Option(name: .shortAndLong, help: "Path to the TOML configuration file.")
    var config: String

    func run() throws {
        let loaded = try ConfigurationExit.load(config)
        let level = Logger.Level(rawValue: loaded.log.level) ?? .info
        let format: StructuredLogHandler.Format = loaded.log.format == .json ? .json : .logfmt
        LogLevelControl.shared.level = level  // shared so that SIGHUP can change it
        LoggingSystem.bootstrap { StructuredLogHandler(label: $0, format: format) }
        let logger = Logger(label: "vigil")

        logger.info("starting", metadata: ["vigil.version": "\(VigilVersion.string)", "librdkafka.version": "\(LibrdkafkaVersion.string)"])
        if LibrdkafkaVersion.isBelowRecommended {
            logger.warning(
                "librdkafka is older than 2.1; it mis-parses some brokers' ApiVersion responses. Upgrade librdkafka.",
                metadata: ["librdkafka.version": "\(LibrdkafkaVersion.string)"])
        }

        let stop = StopSignal()
        stop.installHandlers()
        // Admin HTTP, systemd notify/watchdog, SIGHUP reload (Sources/VigilService/Operations).
        let operations = OperationsRuntime(config: loaded, configPath: config, logger: logger)
        defer { operations.stop() }
        let outcome = Mutex<Result<Void, any Error>>(.success(()))
        let done = DispatchSemaphore(value: 0)
        // Blocking librdkafka calls run on a thread of their own, never on the cooperative pool.
        let thread = Thread {
            let result = Result { try Self.runPipeline(loaded, logger: logger, stop: stop, operations: operations) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        thread.name = "vigil-pipeline"
        thread.stackSize = 8 << 20
        thread.start()
        done.wait()
        if case .failure(let error) = outcome.withLock({ $0 }) {
            logger.critical("stopped on error", metadata: ["error": "\(error)"])
            // A configuration the brokers' topics contradict (the tile layout's partition counts):
            // 78, which the unit does not restart (RestartPreventExitStatus), as for a bad file.
            if error is ConfigurationError { throw ExitCode(78) }
            throw ExitCode.failure
        }
    }

    private static func runPipeline(_ loaded: VigilConfiguration, logger: Logger, stop: StopSignal, operations: OperationsRuntime) throws {
        var config = loaded
        // One admin client, only when topics are created or the tile layout checks them.
        let admin =
            config.kafka.createTopics || config.scaleOut.runs
            ? try KafkaAdmin(configuration: config.producerProperties, logger: logger) : nil
        if config.kafka.createTopics, let admin {
            var topics = [config.topics.incidents: Int32(config.kafka.topicPartitions)]
            for t in [config.topics.alerts, config.topics.deadLetter, config.topics.late] + (config.topics.cap.map { [$0] } ?? [])
                + (config.topics.scored.map { [$0] } ?? [])
            {
                topics[t] = Int32(config.kafka.topicPartitions)
            }
            if let publicTopic = config.publicFeed.topic { topics[publicTopic] = 1 }  // one partition: releases stay in order
            if config.scaleOut.runs { topics.merge(ScaleOutStages.topics(config)) { $1 } }
            try admin.createTopics(topics, replicationFactor: Int32(config.reliability.replicationFactor))
        }
        // The tile layout (docs/SCALE-OUT.md): the cluster scan runs as router, tile scans and one
        // lifecycle; the main pipeline keeps every other rule, with the scan off.
        var stages: ScaleOutStages?
        if config.scaleOut.enabled, !config.scaleOut.runs {
            logger.notice(
                "scale_out.enabled has nothing to scale out: clusters.enabled = false, so the tile layout does not run and every rule runs per input partition"
            )
        }
        if config.scaleOut.runs, let admin {
            try ScaleOutStages.checkTopics(config, admin: admin)
            stages = ScaleOutStages(config: config, logger: logger, stop: stop, board: operations.board)
            config = config.mainPipeline()
        }
        stages?.start()
        let main: (stopLine: Logger.Metadata, alerts: Int)
        do {
            main = try runMain(config, logger: logger, stop: stop, operations: operations)
        } catch {
            stop.request()
            _ = stages?.join()  // their failures, if any, were logged by each stage
            throw error
        }
        stop.request()
        guard let stages else { return }
        let failures = stages.join()
        // The daemon's last line, after every stage: the main pipeline's figures with the alerts
        // of both (the lifecycle publishes the cluster alerts).
        var metadata = main.stopLine
        metadata["stats.alerts"] = "\(main.alerts + stages.alertsPublished)"
        logger.info("stopped", metadata: metadata)
        if let failure = failures.first { throw StageFailure(description: failure) }
    }

    /// Runs the main pipeline until it stops; returns its stop line's metadata and its alert count.
    private static func runMain(
        _ config: VigilConfiguration, logger: Logger, stop: StopSignal, operations: OperationsRuntime
    ) throws -> (stopLine: Logger.Metadata, alerts: Int) {
        let makeProducer = { () throws -> KafkaProducer in try KafkaProducer(configuration: config.producerProperties, logger: logger) }
        // With worker threads, batches come from the partitions' own queues so each holds every partition with work.
        let consumer = try KafkaConsumer(
            configuration: config.consumerProperties, logger: logger, maxBatch: config.pipeline.maxBatch,
            partitionQueues: config.pipeline.workerThreads > 1,
            expectedPartitions: config.scaleOut.runs ? 1 : config.kafka.topicPartitions)
        let health = BrokerHealthMonitor(
            probe: try KafkaBrokerProbe(configuration: config.producerProperties, logger: logger), logger: logger)
        health.start()
        defer { health.stop() }
        let pipeline = try IncidentPipeline(
            config: config, consumer: consumer, makeProducer: makeProducer, logger: logger,
            output: .shared, stop: stop, operations: operations.makeHub(logger: logger),
            brokerProbe: health)
        if let topic = config.publicFeed.topic {
            pipeline.publicFeed = try PublicFeed(
                settings: config.publicFeed, topic: topic, bounds: config.engine.grid.bounds,
                producerProperties: config.producerProperties, logger: logger)
        }
        defer { pipeline.publicFeed?.close() }
        try pipeline.run()
        return (pipeline.stopMetadata, pipeline.statistics.alerts)
    }
}
