import VigilKafka

/// Every output Vigil produces (alerts, dead letters, late incidents, CAP copies), from the moment
/// it is caused by an input until the broker acknowledges it or Vigil gives up on it, and the
/// input offsets that may be committed as a result.
///
/// A value-type state machine in the style of async-http-client's `HTTPRequestStateMachine`:
/// events go in (an output to send, a produce call that failed at once, a delivery report, a
/// timer tick, a revoke), `Action`s come out, and the caller performs them (produce, log, pause).
/// Time is passed in as monotonic milliseconds; nothing here reads a clock or touches a socket,
/// so every failure path is tested without a broker (`DeliveryStateMachineTests`).
///
/// Rules:
/// - retriable failures are sent again with exponential back-off, but only until
///   `retryLimitMs` has passed since the first failure: nothing is retried forever;
/// - a per-message failure (too large, invalid, topic unknown or forbidden) is never retried:
///   the output is *diverted* once (an alert becomes a `delivery_failed` dead letter, a dead
///   letter loses its payload but keeps its headers); if the diversion fails too, it is given up;
/// - a given-up output counts as settled, so its input is committed and the partition moves on:
///   the loss is reported (log line with the cause, metric), never silent;
/// - a producer-identity failure asks for a new producer, a fatal one stops the daemon;
/// - fetching pauses while more than `maxInFlight` outputs are unacknowledged, and resumes
///   below half of it (backpressure instead of unbounded memory).
struct DeliveryStateMachine {
    typealias Ticket = OffsetAckTracker.Ticket

    /// What an output is; decides how a per-message failure is diverted.
    enum Kind: String, Sendable, Equatable {
        case alert
        case capAlert = "cap_alert"
        case deadLetter = "dead_letter"
        case late
        /// An accepted incident with its risk score (topics.scored).
        case scored
        /// A diverted output (failed alert copy or payload-less dead letter): never diverted again.
        case diverted
    }

    enum Action: Equatable {
        /// Produce `message` now, with `ticket` as its opaque value.
        case send(Ticket, OutgoingMessage)
        /// The output behind the ticket will not be delivered; its input is settled anyway.
        /// Log it with `error` and count it under `kind`.
        case gaveUp(Ticket, kind: Kind, error: KafkaError, topic: String)
        /// Replace the producer instance, then send everything unacknowledged again
        /// (`unacknowledged()` lists it).
        case replaceProducer(KafkaError)
        /// Stop the daemon: no output can be delivered with this configuration.
        case fatal(KafkaError)
        case pauseFetching
        case resumeFetching
    }

    struct Configuration: Equatable {
        /// How long a retriable failure is retried, from its first failure.
        var retryLimitMs: Int64 = 300_000
        /// Unacknowledged outputs above which fetching pauses.
        var maxInFlight: Int = 20_000
        /// Where diverted outputs go.
        var deadLetterTopic: String
        var firstBackoffMs: Int64 = 100
        var maxBackoffMs: Int64 = 5_000
    }

    private struct Entry: Equatable {
        var message: OutgoingMessage
        var kind: Kind
        var attempt = 0
        var firstFailureMs: Int64?
        /// Set while waiting to be sent again.
        var dueMs: Int64?
    }

    var configuration: Configuration
    private(set) var tracker = OffsetAckTracker()
    private var entries: [Ticket: Entry] = [:]
    private(set) var paused = false

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Outputs awaiting acknowledgement (including those waiting to be sent again).
    var pendingOutputs: Int { tracker.pendingOutputs }

    // MARK: - Events

    /// Input `offset` of `tp` was consumed. Returns false, changing nothing, for an offset below
    /// one already begun (the fetch position moved backwards, e.g. an out-of-range reset): that
    /// record was processed already, so the caller skips it rather than counting it twice, and
    /// the outputs still pending for it keep holding the commit back.
    mutating func beginInput(_ tp: TopicPartition, offset: Int64) -> Bool {
        tracker.beginInputIfAhead(tp, offset: offset)
    }

    /// Input `offset` of `tp` caused `message`: track it and send it.
    mutating func output(_ message: OutgoingMessage, kind: Kind, for tp: TopicPartition, offset: Int64) -> [Action] {
        let ticket = tracker.addOutput(tp, offset: offset)
        entries[ticket] = Entry(message: message, kind: kind)
        var actions: [Action] = [.send(ticket, message)]
        if !paused, tracker.pendingOutputs > configuration.maxInFlight {
            paused = true
            actions.append(.pauseFetching)
        }
        return actions
    }

    /// Input `offset` of `tp` waits for its engine (a pipelined batch, read but not yet applied):
    /// the commit stays below it, as for an unacknowledged output, until `releaseHold`. Call
    /// after the outputs of every earlier input are tracked (the tracker keeps offsets in order).
    mutating func holdCommit(_ tp: TopicPartition, offset: Int64) -> Ticket {
        tracker.addOutput(tp, offset: offset)
    }

    /// The held input's batch was applied: its own outputs (if any) now hold the commit.
    mutating func releaseHold(_ ticket: Ticket) {
        tracker.acknowledge(ticket)
    }

    /// The produce call for `ticket` failed before the message was queued (e.g. too large).
    mutating func sendFailed(_ ticket: Ticket, error: KafkaError, nowMs: Int64) -> [Action] {
        failed(ticket, error: error, nowMs: nowMs)
    }

    /// The broker's verdict on one output.
    mutating func delivered(_ report: DeliveryReport, nowMs: Int64) -> [Action] {
        guard entries[report.opaque] != nil else { return [] }  // given up, or its partition is gone
        if let error = report.error { return failed(report.opaque, error: error, nowMs: nowMs) }
        return settle(report.opaque)
    }

    /// Sends what is due again.
    mutating func timer(nowMs: Int64) -> [Action] {
        var actions: [Action] = []
        for ticket in entries.keys.sorted() {
            guard let due = entries[ticket]!.dueMs, due <= nowMs else { continue }
            entries[ticket]!.dueMs = nil
            actions.append(.send(ticket, entries[ticket]!.message))
        }
        return actions
    }

    /// The partitions are given away: forget their outputs (the next owner replays their inputs).
    mutating func revoke(_ partitions: [TopicPartition]) -> [Action] {
        for tp in partitions { tracker.drop(tp) }
        for ticket in Array(entries.keys) where !tracker.isPending(ticket) { entries[ticket] = nil }
        return resumeIfDrained()
    }

    // MARK: - Queries

    /// Offsets that may be stored now (moved since the last call).
    mutating func committableOffsets() -> [TopicPartition: Int64] { tracker.committableOffsets() }

    func isSettled(_ tp: TopicPartition) -> Bool { tracker.isSettled(tp) }

    func isPending(_ ticket: Ticket) -> Bool { tracker.isPending(ticket) }

    /// Everything unacknowledged and not waiting for back-off, in ticket order: what a new
    /// producer instance must send again.
    mutating func unacknowledged() -> [Action] {
        var actions: [Action] = []
        for ticket in entries.keys.sorted() {
            entries[ticket]!.dueMs = nil
            actions.append(.send(ticket, entries[ticket]!.message))
        }
        return actions
    }

    /// The next time `timer` has work, if any.
    var nextDueMs: Int64? { entries.values.compactMap(\.dueMs).min() }

    // MARK: - Internals

    private mutating func failed(_ ticket: Ticket, error: KafkaError, nowMs: Int64) -> [Action] {
        guard var entry = entries[ticket] else { return [] }
        switch error.deliveryClass {
        case .fatal:
            return [.fatal(error)]
        case .perMessage:
            return divert(ticket, entry, error: error)
        case .retriable, .replaceProducer:
            let first = entry.firstFailureMs ?? nowMs
            if nowMs - first >= configuration.retryLimitMs {
                return divert(ticket, entry, error: error)
            }
            entry.attempt += 1
            entry.firstFailureMs = first
            let backoff = min(configuration.maxBackoffMs, configuration.firstBackoffMs << Int64(min(entry.attempt - 1, 16)))
            entry.dueMs = nowMs + backoff
            entries[ticket] = entry
            return error.deliveryClass == .replaceProducer ? [.replaceProducer(error)] : []
        }
    }

    /// Sends a replacement that the topic will accept, once; gives up on a replacement.
    private mutating func divert(_ ticket: Ticket, _ entry: Entry, error: KafkaError) -> [Action] {
        guard entry.kind != .diverted,
            let replacement = Self.diversion(of: entry, error: error, deadLetterTopic: configuration.deadLetterTopic)
        else {
            return [.gaveUp(ticket, kind: entry.kind, error: error, topic: entry.message.topic)] + settle(ticket)
        }
        entries[ticket] = Entry(message: replacement, kind: .diverted)
        return [.gaveUp(ticket, kind: entry.kind, error: error, topic: entry.message.topic), .send(ticket, replacement)]
    }

    /// An alert becomes a dead letter with reason `delivery_failed` (its JSON as the payload); a
    /// dead letter keeps its `vigil.*` headers but loses its payload.
    private static func diversion(of entry: Entry, error: KafkaError, deadLetterTopic: String) -> OutgoingMessage? {
        var message = entry.message
        let failure = [
            KafkaHeader("vigil.delivery.error", "\(error.name): \(error.message)"),
            KafkaHeader("vigil.delivery.topic", message.topic)
        ]
        switch entry.kind {
        case .alert, .capAlert, .scored:
            message.headers += [KafkaHeader("vigil.error.reason", "delivery_failed")] + failure
            message.topic = deadLetterTopic
        case .deadLetter, .late:
            message.headers = message.headers.filter { $0.name.hasPrefix("vigil.") } + failure
            message.headers.append(KafkaHeader("vigil.payload.dropped", "true"))
            message.value = []
        case .diverted:
            return nil
        }
        return message
    }

    private mutating func settle(_ ticket: Ticket) -> [Action] {
        tracker.acknowledge(ticket)
        entries[ticket] = nil
        return resumeIfDrained()
    }

    private mutating func resumeIfDrained() -> [Action] {
        guard paused, tracker.pendingOutputs <= configuration.maxInFlight / 2 else { return [] }
        paused = false
        return [.resumeFetching]
    }
}
