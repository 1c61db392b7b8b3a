import Foundation
import Logging
import VigilCore
import VigilKafka

/// The processing loop of `vigil run`: consume incidents, run the engine of their partition,
/// publish alerts and dead letters, and store an input offset only once every message it caused
/// has been acknowledged by the broker or given up on loudly (at-least-once, nothing retried forever).
///
/// Confined to one thread: Kafka callbacks (rebalance, delivery reports) run inside its polls.
/// The decisions live in values with no I/O, tested without a broker: `RecordRouter` (what a
/// record becomes: re-read, dead letter, held for a fast clock through `FutureHold`, or an
/// incident to process), `DeliveryStateMachine` (outputs, retries, give-ups, backpressure,
/// commit positions), `PartitionRecovery` (rebuilding assigned partitions). Its waits are
/// bounded by `WaitBudget`. This class performs what they decide.
///
/// Each poll's incidents reach their partitions' engines as one batch per partition, so the model
/// scores them eight at a time. With `pipeline.worker_threads` > 1 the engines of a poll batch's
/// partitions run at once on worker threads that the pipeline owns and joins when it stops
/// (`+Parallel`, `PartitionWorkers`, `WorkerPool`), pipelined: a batch's engines run while this
/// thread reads the next poll, and its outputs are sent when that poll ends. The consumer then
/// takes each batch round-robin from the partitions' own queues so a batch holds every partition
/// with work; everything else, librdkafka included, stays on this thread. With 1 the batch runs
/// on this thread at its poll's end.
///
/// Extensions by concern: `+Delivery` (performing delivery actions), `+Recovery` (rebuilding
/// assigned partitions by replay), `+Rebalance` (what happens as partitions move), `+Parallel`
/// (a batch's engines on several cores, its outputs in the serial order).
final class IncidentPipeline {
    var config: VigilConfiguration
    let consumer: KafkaConsumer
    var producer: KafkaProducer
    /// Whether the brokers answer, from a thread of its own; readiness prefers it to librdkafka's events.
    private let brokerProbe: BrokerHealthMonitor?
    /// Makes a new producer instance when the broker stops accepting the current one's identity.
    let makeProducer: () throws -> KafkaProducer
    let logger: Logger
    private let output: LogOutput
    let stop: StopSignal
    private let ceSource: String
    /// systemd notify/watchdog, admin snapshot, /aggregates mailbox, SIGHUP reload (Operations/).
    let operations: OperationsHub

    var engines: [TopicPartition: IncidentEngine] = [:]
    /// Runs each poll's batch on the partitions' engines: on several threads, pipelined, or with
    /// `pipeline.worker_threads` = 1 on this thread at the poll's end (`+Parallel`).
    let workers: PartitionWorkers
    /// The batch read so far: run at the batch's end (see `BatchPlan`).
    var plan = BatchPlan<PlannedStep>()
    /// Batches submitted to `workers` and not yet applied, oldest first; at most one between
    /// polls (`+Parallel`).
    var inFlight: [InFlightBatch] = []
    /// An applied batch's emptied plan, kept for its storage.
    var spareBatch = BatchPlan<PlannedStep>()
    /// Partitions whose engines are with `workers` (still owned: see `ownsEngine`).
    var checkedOut: Set<TopicPartition> = []
    /// The watermark of each engine with `workers` after its last applied job (the public feed).
    var appliedWatermarks: [TopicPartition: Timestamp?] = [:]
    /// A failure inside a rebalance callback (which cannot throw), thrown by the loop after its poll.
    var rebalanceFailure: Error?
    /// Partitions still rebuilding their state (see `PartitionRecovery`).
    var recoveries: [TopicPartition: RecoveryEntry] = [:]
    /// Start offsets decided by `resolve` during an assignment callback, handed to librdkafka.
    var pendingStarts: [TopicPartition: Int64?] = [:]
    var delivery: DeliveryStateMachine
    /// Per-record decisions: re-read, dead letter, held for a fast clock, or process.
    var router: RecordRouter
    var statistics = PipelineStatistics()
    /// What the pipeline's stop line said (statistics, shutdown time, unacknowledged outputs).
    private(set) var stopMetadata: Logger.Metadata = [:]
    /// Issue 15: the differentially private public feed (nil when topics.public is off); set by RunCommand.
    var publicFeed: PublicFeed?
    var lateLogLimiter = RateLimiter(interval: .seconds(10))
    var errorLogLimiter = RateLimiter(interval: .seconds(10))
    var deliveryLogLimiter = RateLimiter(interval: .seconds(5))
    /// Free pages of the allocator's arenas back to the kernel every few seconds (peak RSS).
    var allocatorTrim = AllocatorTrim(interval: .seconds(5))
    private var lastProgress = ContinuousClock.now
    /// The wall clock, read once per poll: only for the future-time guard and detection times.
    var wallClockMs = Int64(Date().timeIntervalSince1970 * 1000)
    /// Monotonic milliseconds for delivery back-off.
    private let epoch = ContinuousClock.now
    /// Set when a stop is requested: every later wait ends by then (inside TimeoutStopSec).
    var shutdownDeadline: ContinuousClock.Instant?

    init(
        config: VigilConfiguration, consumer: KafkaConsumer, makeProducer: @escaping () throws -> KafkaProducer, logger: Logger,
        output: LogOutput, stop: StopSignal, operations: OperationsHub, brokerProbe: BrokerHealthMonitor? = nil
    ) throws {
        self.brokerProbe = brokerProbe
        self.config = config
        self.consumer = consumer
        self.makeProducer = makeProducer
        self.producer = try makeProducer()
        self.logger = logger
        self.output = output
        self.stop = stop
        self.operations = operations
        ceSource = "vigil/\(config.kafka.groupID)"
        // Large blocks (fetch buffers, grown tables) outside the arenas, before the workers allocate (peak RSS).
        LargeBlocks.mapSeparately()
        workers = PartitionWorkers(threads: config.pipeline.workerThreads)
        delivery = DeliveryStateMachine(
            configuration: .init(
                retryLimitMs: config.reliability.deliveryTimeoutMs,
                maxInFlight: config.reliability.maxInFlight,
                deadLetterTopic: config.topics.deadLetter))
        router = RecordRouter(
            decoder: config.decoder,
            configuration: .init(
                deadLetterTopic: config.topics.deadLetter,
                deadLetterMaxBytes: config.reliability.deadLetterMaxBytes),
            hold: FutureHold(
                skewMs: config.reliability.clockSkewMs, maxFutureMs: config.pipeline.maxFutureMs,
                capacity: config.reliability.maxHeld))
        consumer.rebalanceListener = self
    }

    var nowMs: Int64 {
        let elapsed = ContinuousClock.now - epoch
        return elapsed.milliseconds
    }

    /// Runs until a stop is requested, then drains, commits and leaves the group. A fatal error
    /// is logged with its cause, the consumer is closed (never left to a destructor), and the
    /// error is rethrown so the process exits non-zero.
    func run() throws {
        do {
            try consumer.subscribe([config.topics.incidents])
            logger.info(
                "consuming",
                metadata: [
                    "kafka.topic": "\(config.topics.incidents)", "kafka.group": "\(config.kafka.groupID)",
                    "pipeline.worker_threads": "\(config.pipeline.workerThreads)"
                ])
            try loop()
        } catch {
            logger.critical(
                "processing stopped on a fatal error; leaving the group (unacknowledged inputs stay uncommitted and are read again)",
                metadata: ["error": "\(error)"])
            shutdownDeadline = .now + .seconds(5)
            discardInFlight()  // its inputs stay uncommitted; its messages are freed before the consumer closes
            workers.shutdown()  // no engine runs any more: the helper threads end before the process does
            consumer.close()
            producer.close(timeoutMs: 2000)
            throw error
        }
        operations.stopping()  // ops call site 3
        try shutdown()
    }

    private func loop() throws {
        while !stop.isRequested {
            // A running batch: only take what is ready, and finish it at once if nothing is.
            let timeout: Int32 = !inFlight.isEmpty ? 0 : delivery.pendingOutputs > 0 || !router.hold.held.isEmpty ? 1 : 100
            wallClockMs = Int64(Date().timeIntervalSince1970 * 1000)
            let consumedBefore = statistics.consumed
            let errors = try consumer.poll(timeoutMs: timeout) { record in
                operations.recordArriving()  // ops call site 1
                try handle(record)
            } afterRecords: {
                try runPlan()  // the records are still valid here
            }
            if let failure = rebalanceFailure { throw failure }
            if !checkedOut.isEmpty, statistics.consumed == consumedBefore { try settle() }
            for error in errors {
                statistics.consumerErrors += 1
                if errorLogLimiter.allow() { logger.warning("consumer error", metadata: ["kafka.error": "\(error)"]) }
            }
            if !recoveries.isEmpty { try settle() }  // recovery reads and replaces engines
            try advanceRecoveries()
            try releaseHeld()
            try serviceDeliveries(timeoutMs: 0)
            storeCommittable()
            if let fatal = producer.fatalError() {
                logger.error("producer instance failed fatally", metadata: ["kafka.error": "\(fatal)"])
                try startNewProducer(cause: fatal)
            }
            try logProgressIfDue()
            if allocatorTrim.isDue(at: .now) { AllocatorTrim.releaseFreeMemory() }
            if let brokerProbe {
                let probed = brokerProbe.state
                operations.brokerOverride = BrokerHealth(reachable: probed.reachable, reason: probed.reason)
            }
            publishRecoveryState()
            if !checkedOut.isEmpty, operations.needsEngines(at: .now, config: config) { try settle() }
            // ops call site 2
            operations.tick(
                consumer: consumer, config: &config, engines: &engines, statistics: statistics, enginesHome: checkedOut.isEmpty)
        }
    }

    // MARK: - Per message

    private func handle(_ record: KafkaRecord) throws {
        let tp = record.topicPartition
        statistics.consumed += 1
        if !recoveries.isEmpty, recoveries[tp] != nil {
            try settle()  // a rebuild touches engines and the public feed: what was read before it goes first
            guard try rebuild(from: record, tp) else { return }
        }
        switch router.route(
            tp, offset: record.offset, value: record.value, message: { KafkaMessage(record) },
            clockMs: wallClockMs, delivery: &delivery)
        {
        case .alreadyProcessed:
            statistics.rereadSkipped += 1
            if errorLogLimiter.allow() {
                logger.warning(
                    "fetch position moved backwards; skipping records already processed (not counted twice)",
                    metadata: ["kafka.partition": "\(tp)", "kafka.offset": "\(record.offset)"])
            }
        case .deadLetter(let deadLetter, let reason, let detail):
            plan.add(.deadLetter(deadLetter, reason: reason, detail: detail, record), of: tp, offset: record.offset)
        case .held(let incident, let releaseMs):
            statistics.heldAhead += 1
            if lateLogLimiter.allow() {
                logger.notice(
                    "incident stamped ahead of the server clock held until the clock reaches it (it does not move the watermark)",
                    metadata: [
                        "incident.id": "\(incident.id)", "incident.event_time": "\(incident.eventTime)",
                        "clock": "\(Timestamp(milliseconds: wallClockMs))", "release_at": "\(Timestamp(milliseconds: releaseMs))",
                        "reason": "clock_ahead", "stats.held_ahead": "\(statistics.heldAhead)"
                    ])
            }
        case .process(let incident):
            plan.add(incident, of: tp, offset: record.offset, step: .process(record))
        }
    }

    func sendDeadLetter(_ deadLetter: OutgoingMessage, reason: String, detail: String, record: KafkaRecord) throws {
        statistics.countDeadLetter(reason: reason)  // ops: per-reason metric
        if errorLogLimiter.allow() {
            logger.warning(
                "dead-lettered a message",
                metadata: [
                    "kafka.partition": "\(record.partition)", "kafka.offset": "\(record.offset)", "error.reason": "\(reason)",
                    "error.message": "\(detail)",
                    "message.bytes": "\(record.value?.count ?? 0)"
                ])
        }
        try send(deadLetter, kind: .deadLetter, for: record.topicPartition, offset: record.offset)
    }

    /// Runs a released held `incident` through its partition's engine on this thread and sends
    /// what it causes, charged to input `offset` of `tp`; `source` is the owned copy of its message.
    /// (A poll's incidents go through `+Parallel`'s batches instead.)
    func processReleased(_ incident: Incident, source: KafkaMessage, tp: TopicPartition, offset: Int64) throws {
        if engines[tp] == nil { engines[tp] = IncidentEngine(configuration: config.engine) }
        let keepsScore = config.topics.scored != nil
        let result = engines.withValue(forKey: tp) { engine in
            let decision = engine.process(incident)
            return EngineResult(decision: decision, score: keepsScore ? engine.lastScore : nil, risk: keepsScore ? engine.risk : nil)
        }!
        try apply(
            result, of: incident, source: source, record: nil, tp: tp, offset: offset,
            publicWatermark: publicFeed != nil ? lowestWatermark() : nil)
    }

    /// Sends what the engine's `result` for `incident` causes, charged to input `offset` of `tp`:
    /// a released held incident right after its engine, a poll's incidents once their batch is completed.
    /// `publicWatermark` is the engines' lowest watermark then (nil when the public feed is off).
    func apply(
        _ result: EngineResult, of incident: Incident, source: KafkaMessage?, record: KafkaRecord?, tp: TopicPartition, offset: Int64,
        publicWatermark: Timestamp?
    ) throws {
        statistics.decoded += 1
        switch result.decision {
        case .late(let watermark):
            statistics.late += 1
            if lateLogLimiter.allow() {
                logger.notice(
                    "late incident sent to the late path",
                    metadata: [
                        "incident.id": "\(incident.id)", "incident.event_time": "\(incident.eventTime)",
                        "watermark": "\(watermark)", "stats.late": "\(statistics.late)"
                    ])
            }
            guard let message = source ?? record.map({ KafkaMessage($0) }) else { return }
            try send(
                deadLetter(
                    message, reason: "late_event", field: "event_time",
                    message: "event time \(incident.eventTime) is behind the partition watermark \(watermark)",
                    topic: config.topics.late, extra: [KafkaHeader("vigil.watermark", watermark.description)]),
                kind: .late, for: tp, offset: offset)
        case .accepted(let alerts):
            operations.recordAccepted(incident)  // page hook: map points
            try feedPublic(incident, watermark: publicWatermark)  // issue 15: public feed
            if let topic = config.topics.scored, let score = result.score, let risk = result.risk {
                try send(
                    OutputMessages.scoredIncident(
                        incident, score: score, model: risk, grid: config.engine.grid, topic: topic,
                        key: record.flatMap { $0.key.map { Array($0) } } ?? source?.key),
                    kind: .scored, for: tp, offset: offset)
            }
            for alert in alerts { try publish(alert, for: tp, offset: offset) }
        }
    }

    /// Held incidents whose time the clock has reached: processed now, their outputs charged to
    /// the partition's latest input (their own input was committed when they were held).
    private func releaseHeld() throws {
        guard !router.hold.held.isEmpty else { return }
        try settle()  // held incidents go through their engines on this thread, after every batch read before
        for entry in router.hold.release(clockMs: wallClockMs, ready: { recoveries[$0] == nil && delivery.tracker.nextOffset($0) != nil }) {
            guard let next = delivery.tracker.nextOffset(entry.message.topicPartition) else { continue }
            statistics.heldReleased += 1
            try processReleased(entry.incident, source: entry.message, tp: entry.message.topicPartition, offset: next - 1)
        }
    }

    func deadLetter(
        _ message: KafkaMessage, reason: String, field: String?, message text: String,
        topic: String? = nil, extra: [KafkaHeader] = []
    ) -> OutgoingMessage {
        OutputMessages.deadLetter(
            message, reason: reason, field: field, message: text, topic: topic ?? config.topics.deadLetter,
            maxBytes: config.reliability.deadLetterMaxBytes, extra: extra)
    }

    private func publish(_ alert: Alert, for tp: TopicPartition, offset: Int64) throws {
        let now = Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        let json = AlertJSON.encode(alert, detectedAt: now)
        statistics.countAlert(alert.kind)  // ops: per-kind metric
        output.write(json, priority: alert.severity == .high ? 4 : 5)
        operations.recordPublished(alertJSON: json)  // page hook: /events
        try send(
            OutputMessages.alert(
                alert, json: json, topic: config.topics.alerts, source: ceSource, detectedAt: now,
                input: (tp, offset)),
            kind: .alert, for: tp, offset: offset)
        if let capTopic = config.topics.cap {  // ops: CAP 1.2 rendering
            try send(
                OutputMessages.capAlert(
                    alert, cap: config.operations.cap, grid: config.engine.grid, topic: capTopic, source: ceSource, detectedAt: now),
                kind: .capAlert, for: tp, offset: offset)
        }
    }

    private func shutdown() throws {
        let deadline = ContinuousClock.now + .milliseconds(config.pipeline.shutdownTimeoutMs)
        shutdownDeadline = deadline
        // The loop has ended: bring the running batch's engines back and send its outputs, then
        // join the helper threads, so none is alive when the process exits (see `WorkerPool`).
        try settle()
        workers.shutdown()
        logger.info("stopping: draining deliveries", metadata: ["pending": "\(delivery.pendingOutputs)"])
        // Leave a quarter of the budget for the final commit, leaving the group and the producer.
        let drained = try drain(nil, timeoutMs: WaitBudget.shutdownDrainMs(config.pipeline.shutdownTimeoutMs))
        if !drained {
            statistics.unacknowledgedAtStop = delivery.pendingOutputs
            logger.error(
                "shutdown timeout: some outputs unacknowledged; their inputs stay uncommitted and will be replayed",
                metadata: ["pending": "\(delivery.pendingOutputs)"])
        }
        storeCommittable()
        do { try consumer.commit() } catch { logger.error("final commit failed", metadata: ["kafka.error": "\(error)"]) }
        for (tp, engine) in engines.sorted(by: { $0.key < $1.key }) {
            let digest = engine.stateDigest
            logger.info(
                "partition state at stop",
                metadata: [
                    "kafka.partition": "\(tp)", "state.digest": "\(digest.digest)", "state.counts": "\(digest.counts)",
                    "state.newest_event_time": "\(engine.watermark.maxEventTime.map { $0.description } ?? "none")",
                    "recovery.rebuilding": "\(recoveries[tp] != nil)"
                ])
        }
        operations.keepAlive()
        consumer.close()
        producer.close(timeoutMs: Int32(min(WaitBudget.producerCloseMs, remainingShutdownMs() ?? WaitBudget.producerCloseMs)))
        var metadata = statistics.logMetadata
        let took = ContinuousClock.now - (deadline - .milliseconds(config.pipeline.shutdownTimeoutMs))
        metadata["shutdown.seconds"] =
            "\(String(format: "%.1f", took.seconds))"
        metadata["shutdown.unacknowledged"] = "\(statistics.unacknowledgedAtStop)"
        stopMetadata = metadata
        // In the tile layout the stages are still stopping: `vigil run` logs the daemon's
        // `stopped` after them, with their alerts counted.
        logger.info(config.stagedClusters == nil ? "stopped" : "main pipeline stopped", metadata: metadata)
    }

    /// Milliseconds left before the shutdown deadline, nil when not shutting down.
    func remainingShutdownMs() -> Int? {
        guard let deadline = shutdownDeadline else { return nil }
        let left = deadline - .now
        return max(0, Int(left.milliseconds))
    }

    private func logProgressIfDue() throws {
        let now = ContinuousClock.now
        guard now - lastProgress >= .seconds(30) else { return }
        lastProgress = now
        try settle()  // the line counts every engine's keys
        var metadata = statistics.logMetadata
        metadata["state.keys"] = "\(engines.values.reduce(0) { $0 + $1.statistics.keys })"
        metadata["state.cap_hits"] = "\(engines.values.reduce(0) { $0 + $1.statistics.capHits })"
        metadata["state.keys_expired"] = "\(engines.values.reduce(0) { $0 + $1.statistics.keysExpired })"
        metadata["state.hotspots"] = "\(engines.values.reduce(0) { $0 + ($1.hotspotSnapshot?.hotspots.count ?? 0) })"
        metadata["state.partitions"] = "\(engines.count)"
        metadata["state.held_ahead"] = "\(router.hold.held.count)"
        metadata["delivery.pending"] = "\(delivery.pendingOutputs)"
        logger.info("progress", metadata: metadata)
    }
}
