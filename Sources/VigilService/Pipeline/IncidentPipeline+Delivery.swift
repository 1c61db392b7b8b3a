import Foundation
import VigilCore
import VigilKafka

/// Failure a delivery action can end the daemon with: the cause, for the log and the exit.
struct PipelineFailure: Error, CustomStringConvertible {
    var message: String
    var cause: KafkaError?

    var description: String { cause.map { "\(message): \($0)" } ?? message }
}

/// Performing what `DeliveryStateMachine` decides: produce, retry, divert, give up, pause.
extension IncidentPipeline {
    /// Tracks `message` as caused by input `offset` of `tp` and sends it.
    func send(_ message: OutgoingMessage, kind: DeliveryStateMachine.Kind, for tp: TopicPartition, offset: Int64) throws {
        try perform(delivery.output(message, kind: kind, for: tp, offset: offset))
    }

    /// Performs `actions` and whatever they lead to (a failed send yields more actions).
    func perform(_ actions: [DeliveryStateMachine.Action]) throws {
        var queue = actions[...]
        while let action = queue.popFirst() {
            switch action {
            case .send(let ticket, let message):
                do {
                    try producer.send(message, opaque: ticket, queueFullTimeoutMs: queueFullWaitMs())
                    operations.keepAlive()  // a send may have waited for room (WaitBudget.queueFullMs)
                } catch {
                    statistics.deliveryFailures += 1
                    queue.append(contentsOf: delivery.sendFailed(ticket, error: error, nowMs: nowMs))
                }
            case .gaveUp(_, let kind, let error, let topic):
                statistics.countDeliveryGivenUp(kind: kind.rawValue)
                logger.error(
                    "an output could not be delivered and was given up; its input is committed",
                    metadata: [
                        "output.kind": "\(kind.rawValue)", "kafka.topic": "\(topic)", "kafka.error": "\(error)",
                        "error.class": "\(error.deliveryClass.rawValue)",
                        "next":
                            "\(kind == .diverted ? "dropped (the log holds every alert's JSON)" : "diverted to \(config.topics.deadLetter)")"
                    ])
            case .replaceProducer(let error):
                try startNewProducer(cause: error)
            case .fatal(let error):
                throw PipelineFailure(
                    message:
                        "no output can be delivered with this configuration (\(error.deliveryClass.rawValue) error); fix the cause and restart",
                    cause: error)
            case .pauseFetching:
                statistics.backpressurePauses += 1
                logger.warning(
                    "pausing fetch: too many unacknowledged outputs",
                    metadata: [
                        "delivery.pending": "\(delivery.pendingOutputs)", "pipeline.max_in_flight": "\(config.reliability.maxInFlight)"
                    ])
                setFetching(paused: true)
            case .resumeFetching:
                logger.notice("resuming fetch", metadata: ["delivery.pending": "\(delivery.pendingOutputs)"])
                setFetching(paused: false)
            }
        }
    }

    /// A full local queue waits for room at most this long (the state machine retries after).
    private func queueFullWaitMs() -> Int {
        min(WaitBudget.queueFullMs, remainingShutdownMs() ?? WaitBudget.queueFullMs)
    }

    private func setFetching(paused: Bool) {
        do {
            let assigned = try consumer.assignment()
            if paused {
                try consumer.pause(assigned)
            } else {
                // Partitions waiting for a broker call stay paused (see `RecoveryEntry`).
                try consumer.resume(assigned.filter { recoveries[$0]?.paused != true })
            }
        } catch {
            logger.warning("could not \(paused ? "pause" : "resume") fetching", metadata: ["kafka.error": "\(error)"])
        }
    }

    /// Serves delivery reports (waiting up to `timeoutMs` for the first) and due retries.
    func serviceDeliveries(timeoutMs: Int32) throws {
        for report in producer.poll(timeoutMs: timeoutMs) {
            if report.error != nil { statistics.deliveryFailures += 1 }
            if let error = report.error, deliveryLogLimiter.allow() {
                logger.error(
                    "delivery failed",
                    metadata: [
                        "kafka.topic": "\(report.topic)", "kafka.error": "\(error)", "error.class": "\(error.deliveryClass.rawValue)",
                        "stats.delivery_failures": "\(statistics.deliveryFailures)"
                    ])
            }
            try perform(delivery.delivered(report, nowMs: nowMs))
        }
        if let due = delivery.nextDueMs, due <= nowMs { try perform(delivery.timer(nowMs: nowMs)) }
    }

    /// The broker refuses this producer instance for good (fenced or its idempotence state lost,
    /// e.g. after a broker stall): discard it and send everything unacknowledged again through a
    /// new one. Reports still owed by the old instance are dropped with it; a message it did
    /// deliver may then appear twice, which alert ids make harmless.
    func startNewProducer(cause: KafkaError) throws {
        statistics.producerRestarts += 1
        logger.warning(
            "the broker no longer accepts this producer instance; starting a new one and sending all unacknowledged messages again",
            metadata: [
                "pending": "\(delivery.pendingOutputs)", "kafka.error": "\(cause)",
                "stats.producer_restarts": "\(statistics.producerRestarts)"
            ])
        producer.close(timeoutMs: 0)
        do {
            producer = try makeProducer()
        } catch {
            throw PipelineFailure(message: "cannot create a new producer instance: \(error)", cause: cause)
        }
        try perform(delivery.unacknowledged())
    }

    func storeCommittable() {
        let offsets = delivery.committableOffsets().filter { ownsEngine(of: $0.key) }
        guard !offsets.isEmpty else { return }
        // Debug builds (every test that runs the daemon) check the pipelined batches' holds.
        assert(storesNothingPastARunningBatch(offsets), "an offset stored past an input whose batch is not applied yet")
        do {
            try consumer.storeOffsets(offsets)
        } catch {
            // A partition revoked in the meantime refuses the store; its new owner replays.
            if errorLogLimiter.allow() { logger.warning("storing offsets failed", metadata: ["kafka.error": "\(error)"]) }
        }
    }

    /// Whether every offset in `offsets` stays at or below the first input of each running batch
    /// of its partition (whose outputs do not exist yet).
    private func storesNothingPastARunningBatch(_ offsets: [TopicPartition: Int64]) -> Bool {
        inFlight.allSatisfy { batch in
            batch.plan.firstInputs.allSatisfy { first in offsets[first.partition].map { $0 <= first.offset } ?? true }
        }
    }

    /// Waits (serving deliveries, feeding the watchdog) until `partitions` have nothing
    /// unacknowledged, `timeoutMs` passes, or the shutdown deadline comes.
    func drain(_ partitions: [TopicPartition]?, timeoutMs: Int) throws -> Bool {
        let budget = min(timeoutMs, remainingShutdownMs() ?? timeoutMs)
        let deadline = ContinuousClock.now + .milliseconds(budget)
        func settled() -> Bool {
            partitions.map { $0.allSatisfy { delivery.isSettled($0) } } ?? (delivery.pendingOutputs == 0)
        }
        while !settled() && ContinuousClock.now < deadline {
            operations.keepAlive()
            try serviceDeliveries(timeoutMs: WaitBudget.drainPollMs)
        }
        return settled()
    }
}
