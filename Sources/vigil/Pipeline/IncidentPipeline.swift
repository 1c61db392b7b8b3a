import Foundation
import Logging
import VigilCore
import VigilKafka

/// The processing loop of `vigil run`: consume incidents, run the engine of their partition,
/// publish alerts and dead letters, and store an input offset only once every message it caused
/// has been acknowledged by the broker (at-least-once).
///
/// Confined to one thread: Kafka callbacks (rebalance, delivery reports) run inside its polls.
///
/// Extensions by concern: `+Recovery` (rebuilding assigned partitions by replay) and
/// `+Rebalance` (what happens as partitions move); members they share are internal, not private.
final class IncidentPipeline {
    var config: VigilConfiguration
    let consumer: KafkaConsumer
    private var producer: KafkaProducer
    /// Whether the brokers answer, from a thread of its own; readiness prefers it to librdkafka's events.
    private let brokerProbe: BrokerHealthMonitor?
    /// Makes a new producer instance when the broker stops accepting the current one's identity.
    private let makeProducer: () throws -> KafkaProducer
    let logger: Logger
    private let output: LogOutput
    private let stop: StopSignal
    private let ceSource: String
    /// systemd notify/watchdog, admin snapshot, /aggregates mailbox, SIGHUP reload (Operations/).
    private let operations: OperationsHub

    var engines: [TopicPartition: IncidentEngine] = [:]
    /// Partitions still rebuilding their state (see `PartitionRecovery`), with when they began.
    var recoveries: [TopicPartition: (recovery: PartitionRecovery, began: ContinuousClock.Instant, replayed: Int)] = [:]
    var tracker = OffsetAckTracker()
    /// Messages awaiting acknowledgement, kept so a failed delivery can be sent again.
    var inFlight: [OffsetAckTracker.Ticket: OutgoingMessage] = [:]
    private var retries: [(ticket: OffsetAckTracker.Ticket, due: ContinuousClock.Instant, attempt: Int)] = []
    var attempts: [OffsetAckTracker.Ticket: Int] = [:]
    var statistics = PipelineStatistics()
    /// Issue 15: the differentially private public feed (nil when topics.public is off); set by RunCommand.
    var publicFeed: PublicFeed?
    private var lateLogLimiter = RateLimiter(interval: .seconds(10))
    private var errorLogLimiter = RateLimiter(interval: .seconds(10))
    private var deliveryLogLimiter = RateLimiter(interval: .seconds(5))
    private var lastProgress = ContinuousClock.now
    /// The wall clock, read once per poll: only for the far-future guard and detection times.
    private var wallClockMs = Int64(Date().timeIntervalSince1970 * 1000)

    init(config: VigilConfiguration, consumer: KafkaConsumer, makeProducer: @escaping () throws -> KafkaProducer, logger: Logger,
         output: LogOutput, stop: StopSignal, operations: OperationsHub, brokerProbe: BrokerHealthMonitor? = nil) throws {
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
        consumer.rebalanceListener = self
    }

    /// Runs until a stop is requested, then drains, commits and leaves the group.
    func run() throws {
        try consumer.subscribe([config.topics.incidents])
        logger.info("consuming", metadata: ["kafka.topic": "\(config.topics.incidents)", "kafka.group": "\(config.kafka.groupID)"])
        while !stop.isRequested {
            let timeout: Int32 = tracker.pendingOutputs > 0 ? 1 : 100
            wallClockMs = Int64(Date().timeIntervalSince1970 * 1000)
            let errors = try consumer.poll(timeoutMs: timeout) { record in
                operations.recordArriving()  // ops call site 1
                try handle(record)
            }
            for error in errors {
                statistics.consumerErrors += 1
                if errorLogLimiter.allow() { logger.warning("consumer error", metadata: ["kafka.error": "\(error)"]) }
            }
            try serviceDeliveries(producer.poll(timeoutMs: 0))
            try storeCommittable()
            if let fatal = producer.fatalError() {
                logger.error("producer instance failed fatally", metadata: ["kafka.error": "\(fatal)"])
                try startNewProducer()
            }
            logProgressIfDue()
            if let brokerProbe {
                let probed = brokerProbe.state
                operations.brokerOverride = BrokerHealth(reachable: probed.reachable, reason: probed.reason)
            }
            if operations.rebuilding.count != recoveries.count || !recoveries.keys.allSatisfy(operations.rebuilding.contains) {
                operations.rebuilding = Set(recoveries.keys)
            }
            operations.tick(consumer: consumer, config: &config, engines: &engines, statistics: statistics)  // ops call site 2
        }
        operations.stopping()  // ops call site 3
        try shutdown()
    }

    // MARK: - Per message

    private func handle(_ record: KafkaRecord) throws {
        let tp = record.topicPartition
        statistics.consumed += 1
        if !recoveries.isEmpty, recoveries[tp] != nil {
            guard try rebuild(from: record, tp) else { return }
        }
        if !tracker.beginInput(tp, offset: record.offset) {
            logger.warning("partition rewound; restarting its commit bookkeeping (inputs will be re-read, not skipped)",
                           metadata: ["kafka.partition": "\(record.partition)", "kafka.offset": "\(record.offset)"])
        }
        switch config.decoder.decode(record.value) {
        case .failure(let error):
            statistics.countDeadLetter(reason: error.reason.rawValue)  // ops: per-reason metric
            if errorLogLimiter.allow() {
                logger.warning("dead-lettered an undecodable message", metadata: [
                    "kafka.partition": "\(record.partition)", "kafka.offset": "\(record.offset)",
                    "error.reason": "\(error.reason.rawValue)", "error.message": "\(error.message)"])
            }
            try send(OutputMessages.deadLetter(record, reason: error.reason.rawValue, field: error.field,
                                               message: error.message, topic: config.topics.deadLetter), for: tp, offset: record.offset)
        case .success(let incident) where isFarFuture(incident):
            statistics.deadLettered += 1
            try send(OutputMessages.deadLetter(record, reason: "future_event_time", field: "event_time",
                                               message: "event time \(incident.eventTime) is more than \(EventDuration(milliseconds: config.pipeline.maxFutureMs)) ahead of the server clock (\(Timestamp(milliseconds: wallClockMs)))",
                                               topic: config.topics.deadLetter), for: tp, offset: record.offset)
        case .success(let incident):
            statistics.decoded += 1
            if engines[tp] == nil { engines[tp] = IncidentEngine(configuration: config.engine) }
            switch engines[tp]!.process(incident) {
            case .late(let watermark):
                statistics.late += 1
                if lateLogLimiter.allow() {
                    logger.notice("late incident sent to the late path", metadata: [
                        "incident.id": "\(incident.id)", "incident.event_time": "\(incident.eventTime)",
                        "watermark": "\(watermark)", "stats.late": "\(statistics.late)"])
                }
                try send(OutputMessages.deadLetter(record, reason: "late_event", field: "event_time",
                                                   message: "event time \(incident.eventTime) is behind the partition watermark \(watermark)",
                                                   topic: config.topics.late, extra: [KafkaHeader("vigil.watermark", watermark.description)]),
                         for: tp, offset: record.offset)
            case .accepted(let alerts):
                operations.recordAccepted(incident)  // page hook: map points
                try feedPublic(incident)  // issue 15: public feed
                for alert in alerts { try publish(alert, for: tp, offset: record.offset) }
            }
        }
    }

    func isFarFuture(_ incident: Incident) -> Bool {
        incident.eventTime.milliseconds > wallClockMs + config.pipeline.maxFutureMs
    }

    private func publish(_ alert: Alert, for tp: TopicPartition, offset: Int64) throws {
        let now = Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        let json = AlertJSON.encode(alert, detectedAt: now)
        statistics.countAlert(alert.kind)  // ops: per-kind metric
        output.write(json, priority: alert.severity == .high ? 4 : 5)
        operations.recordPublished(alertJSON: json)  // page hook: /events
        try send(OutputMessages.alert(alert, json: json, topic: config.topics.alerts, source: ceSource, detectedAt: now,
                                         input: (tp, offset)),
                 for: tp, offset: offset)
        if let capTopic = config.topics.cap {  // ops: CAP 1.2 rendering
            let xml = CAPAlert.render(alert, sent: now, sender: config.operations.cap.sender, status: config.operations.cap.status,
                                      scope: config.operations.cap.scope, grid: config.engine.grid)
            try send(OutputMessages.capAlert(alert, xml: xml, topic: capTopic, source: ceSource, detectedAt: now), for: tp, offset: offset)
        }
    }

    private func send(_ message: OutgoingMessage, for tp: TopicPartition, offset: Int64) throws {
        let ticket = tracker.addOutput(tp, offset: offset)
        inFlight[ticket] = message
        try producer.send(message, opaque: ticket)
    }

    // MARK: - Acknowledgements

    private func serviceDeliveries(_ reports: [DeliveryReport]) throws {
        var replaceProducer = false
        for report in reports {
            if let error = report.error {
                statistics.deliveryFailures += 1
                guard inFlight[report.opaque] != nil else { continue }  // partition already given away
                replaceProducer = replaceProducer || error.invalidatesProducer
                let attempt = (attempts[report.opaque] ?? 0) + 1
                attempts[report.opaque] = attempt
                let backoff = Duration.milliseconds(min(5000, 100 << min(attempt, 6)))
                if deliveryLogLimiter.allow() {
                    logger.error("delivery failed; will send again, offsets held back", metadata: [
                        "kafka.topic": "\(report.topic)", "kafka.error": "\(error)", "attempt": "\(attempt)",
                        "stats.delivery_failures": "\(statistics.deliveryFailures)"])
                }
                retries.append((report.opaque, .now + backoff, attempt))
            } else {
                tracker.acknowledge(report.opaque)
                inFlight[report.opaque] = nil
                attempts[report.opaque] = nil
            }
        }
        if replaceProducer { try startNewProducer() }
        guard !retries.isEmpty else { return }
        let now = ContinuousClock.now
        var waiting: [(ticket: OffsetAckTracker.Ticket, due: ContinuousClock.Instant, attempt: Int)] = []
        for retry in retries {
            guard let message = inFlight[retry.ticket] else { continue }
            if retry.due <= now { try producer.send(message, opaque: retry.ticket) } else { waiting.append(retry) }
        }
        retries = waiting
    }

    /// The broker refuses this producer instance for good (fenced or its idempotence state lost,
    /// e.g. after a broker stall): discard it and send everything unacknowledged again through a
    /// new one. Reports still owed by the old instance are dropped with it; a message it did
    /// deliver may then appear twice, which alert ids make harmless.
    private func startNewProducer() throws {
        statistics.producerRestarts += 1
        logger.warning("the broker no longer accepts this producer instance; starting a new one and sending all unacknowledged messages again",
                       metadata: ["pending": "\(inFlight.count)", "stats.producer_restarts": "\(statistics.producerRestarts)"])
        producer.close(timeoutMs: 0)
        producer = try makeProducer()
        retries.removeAll()
        for (ticket, message) in inFlight.sorted(by: { $0.key < $1.key }) { try producer.send(message, opaque: ticket) }
    }

    func storeCommittable() throws {
        let offsets = tracker.committableOffsets().filter { engines[$0.key] != nil }
        guard !offsets.isEmpty else { return }
        do {
            try consumer.storeOffsets(offsets)
        } catch {
            // A partition revoked in the meantime refuses the store; its new owner replays.
            if errorLogLimiter.allow() { logger.warning("storing offsets failed", metadata: ["kafka.error": "\(error)"]) }
        }
    }

    /// Waits (serving deliveries) until `partitions` have nothing unacknowledged, or `timeoutMs`.
    func drain(_ partitions: [TopicPartition]?, timeoutMs: Int) throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        func settled() -> Bool {
            partitions.map { $0.allSatisfy { tracker.isSettled($0) } } ?? (tracker.pendingOutputs == 0)
        }
        while !settled() && ContinuousClock.now < deadline {
            try serviceDeliveries(producer.poll(timeoutMs: 50))
        }
        return settled()
    }

    private func shutdown() throws {
        logger.info("stopping: draining deliveries", metadata: ["pending": "\(tracker.pendingOutputs)"])
        let drained = try drain(nil, timeoutMs: config.pipeline.shutdownTimeoutMs)
        if !drained {
            logger.error("shutdown timeout: some outputs unacknowledged; their inputs stay uncommitted and will be replayed",
                         metadata: ["pending": "\(tracker.pendingOutputs)"])
        }
        try storeCommittable()
        do { try consumer.commit() } catch { logger.error("final commit failed", metadata: ["kafka.error": "\(error)"]) }
        for (tp, engine) in engines.sorted(by: { $0.key < $1.key }) {
            let digest = engine.stateDigest
            logger.info("partition state at stop", metadata: [
                "kafka.partition": "\(tp)", "state.digest": "\(digest.digest)", "state.counts": "\(digest.counts)",
                "state.newest_event_time": "\(engine.watermark.maxEventTime.map { $0.description } ?? "none")",
                "recovery.rebuilding": "\(recoveries[tp] != nil)"])
        }
        consumer.close()
        producer.close(timeoutMs: 5000)
        logger.info("stopped", metadata: statistics.logMetadata)
    }

    private func logProgressIfDue() {
        let now = ContinuousClock.now
        guard now - lastProgress >= .seconds(30) else { return }
        lastProgress = now
        var metadata = statistics.logMetadata
        metadata["state.keys"] = "\(engines.values.reduce(0) { $0 + $1.statistics.keys })"
        metadata["state.cap_hits"] = "\(engines.values.reduce(0) { $0 + $1.statistics.capHits })"
        metadata["state.keys_expired"] = "\(engines.values.reduce(0) { $0 + $1.statistics.keysExpired })"
        metadata["state.hotspots"] = "\(engines.values.reduce(0) { $0 + ($1.hotspotSnapshot?.hotspots.count ?? 0) })"
        metadata["state.partitions"] = "\(engines.count)"
        logger.info("progress", metadata: metadata)
    }
}
