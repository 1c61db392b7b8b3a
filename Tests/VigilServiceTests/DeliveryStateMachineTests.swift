import Testing
import VigilKafka

@testable import VigilService

/// The pipeline's delivery decisions, event by event, without a broker (issue 12: permanent
/// errors retried forever, commit frozen, in-flight work growing without bound).
@Suite("DeliveryStateMachine: retries are bounded, per-message failures are diverted, offsets move on")
struct DeliveryStateMachineTests {
    let tp = TopicPartition("incidents", 0)
    static let tooLarge = KafkaError(rawCode: 10, message: "message too large")  // MSG_SIZE_TOO_LARGE
    static let timedOut = KafkaError(rawCode: -192, message: "message timed out")  // _MSG_TIMED_OUT
    static let unknownTopic = KafkaError(rawCode: -188, message: "unknown topic")  // _UNKNOWN_TOPIC
    static let clusterAuth = KafkaError(rawCode: 31, message: "cluster authorization")  // CLUSTER_AUTHORIZATION_FAILED
    static let fenced = KafkaError(rawCode: 90, message: "producer fenced")  // PRODUCER_FENCED

    func machine(retryLimitMs: Int64 = 10_000, maxInFlight: Int = 100) -> DeliveryStateMachine {
        DeliveryStateMachine(configuration: .init(retryLimitMs: retryLimitMs, maxInFlight: maxInFlight, deadLetterTopic: "dlq"))
    }

    func message(_ topic: String = "alerts", _ text: String = "x") -> OutgoingMessage {
        OutgoingMessage(topic: topic, key: nil, value: Array(text.utf8), headers: [KafkaHeader("vigil.error.reason", "r")])
    }

    func ticket(_ actions: [DeliveryStateMachine.Action]) -> UInt64 {
        for case .send(let t, _) in actions { return t }
        Issue.record("no send in \(actions)")
        return 0
    }

    func report(_ ticket: UInt64, _ error: KafkaError? = nil) -> DeliveryReport {
        DeliveryReport(topic: "alerts", partition: 0, offset: 0, opaque: ticket, error: error)
    }

    @Test func errorClassesFollowTheirMeaning() {
        #expect(Self.tooLarge.deliveryClass == .perMessage)
        #expect(Self.unknownTopic.deliveryClass == .perMessage)
        #expect(Self.timedOut.deliveryClass == .retriable)
        #expect(Self.clusterAuth.deliveryClass == .fatal)
        #expect(Self.fenced.deliveryClass == .replaceProducer)
    }

    @Test func anAcknowledgedOutputReleasesItsInput() {
        var m = machine()
        let begun = m.beginInput(tp, offset: 7)
        #expect(begun)
        let t = ticket(m.output(message(), kind: .alert, for: tp, offset: 7))
        #expect(m.committableOffsets() == [tp: 7], "held at the input until its output is acknowledged")
        _ = m.delivered(report(t), nowMs: 0)
        #expect(m.committableOffsets() == [tp: 8])
    }

    /// A pipelined batch: its inputs are read (begun) before their engine has run, so they have
    /// no outputs yet. Its hold keeps the commit at its first input until the batch is applied,
    /// then the outputs it caused hold it as usual.
    @Test func aCommitHoldKeepsTheOffsetAtTheBatchsFirstInputUntilItIsApplied() {
        var m = machine()
        for offset in 0..<5 { _ = m.beginInput(tp, offset: Int64(offset)) }
        #expect(m.committableOffsets() == [tp: 5], "a batch applied before the next poll")
        for offset in 5..<9 { _ = m.beginInput(tp, offset: Int64(offset)) }
        let hold = m.holdCommit(tp, offset: 5)
        #expect(m.committableOffsets().isEmpty, "held at 5: inputs 5...8 are read but not applied")
        #expect(!m.isSettled(tp))
        // Applied: input 7 caused an alert; the hold is lifted after the outputs are tracked.
        let alert = ticket(m.output(message(), kind: .alert, for: tp, offset: 7))
        m.releaseHold(hold)
        #expect(m.committableOffsets() == [tp: 7], "now its alert holds it")
        _ = m.delivered(report(alert), nowMs: 0)
        #expect(m.committableOffsets() == [tp: 9])
        #expect(m.isSettled(tp) && m.pendingOutputs == 0)
    }

    @Test func aTooLargeDeadLetterIsSentAgainWithoutItsPayloadOnceThenTheInputMovesOn() {
        var m = machine()
        _ = m.beginInput(tp, offset: 50)
        let t = ticket(m.output(message("dlq", String(repeating: "x", count: 100)), kind: .deadLetter, for: tp, offset: 50))
        let actions = m.sendFailed(t, error: Self.tooLarge, nowMs: 0)
        guard case .gaveUp(_, .deadLetter, _, _)? = actions.first, case .send(let again, let stub)? = actions.last else {
            Issue.record("expected a give-up then a payload-less resend, got \(actions)")
            return
        }
        #expect(again == t)
        #expect(stub.value == [])
        #expect(stub.headers.contains(KafkaHeader("vigil.payload.dropped", "true")))
        #expect(stub.headers.contains(KafkaHeader("vigil.error.reason", "r")), "the reason survives the diversion")
        #expect(m.pendingOutputs == 1, "still owed until the stub is acknowledged")
        // The stub is refused too: given up, and the input is committed anyway (never stuck).
        let last = m.delivered(report(t, Self.tooLarge), nowMs: 1)
        #expect(last.contains { if case .gaveUp(_, .diverted, _, _) = $0 { true } else { false } })
        #expect(m.pendingOutputs == 0)
        #expect(m.committableOffsets() == [tp: 51])
    }

    @Test func anAlertRefusedByItsTopicBecomesADeliveryFailedDeadLetter() {
        var m = machine()
        _ = m.beginInput(tp, offset: 3)
        let t = ticket(m.output(message("alerts", "{\"id\":\"a\"}"), kind: .alert, for: tp, offset: 3))
        let actions = m.delivered(report(t, Self.unknownTopic), nowMs: 0)
        guard case .send(_, let diverted)? = actions.last else {
            Issue.record("\(actions)")
            return
        }
        #expect(diverted.topic == "dlq")
        #expect(diverted.value == Array("{\"id\":\"a\"}".utf8), "the alert's JSON is kept")
        #expect(diverted.headers.contains(KafkaHeader("vigil.error.reason", "delivery_failed")))
        _ = m.delivered(report(t), nowMs: 1)
        #expect(m.committableOffsets() == [tp: 4])
    }

    @Test func retriableFailuresBackOffAndStopAtTheRetryLimit() {
        var m = machine(retryLimitMs: 10_000)
        _ = m.beginInput(tp, offset: 0)
        let t = ticket(m.output(message(), kind: .alert, for: tp, offset: 0))
        var now: Int64 = 0
        var sends = 0
        var gaveUp = false
        // Each attempt times out; the machine resends when due, and gives up past the limit.
        while now < 100_000 && !gaveUp {
            let actions = m.delivered(report(t, Self.timedOut), nowMs: now)
            gaveUp = actions.contains { if case .gaveUp = $0 { true } else { false } }
            if gaveUp { break }
            #expect(actions.isEmpty, "a retriable failure waits for its back-off")
            guard let due = m.nextDueMs else {
                Issue.record("no retry scheduled")
                return
            }
            #expect(due > now)
            let early = m.timer(nowMs: due - 1)
            #expect(early.isEmpty, "not before it is due")
            now = due
            sends += m.timer(nowMs: now).count
        }
        #expect(gaveUp, "given up within the limit, not retried forever")
        #expect(now >= 10_000 && now < 20_000)
        #expect(sends >= 5, "back-off 100, 200, 400, ... ms: several attempts fit in 10 s")
    }

    @Test func fatalErrorsStopAndProducerIdentityErrorsReplaceTheProducer() {
        var m = machine()
        _ = m.beginInput(tp, offset: 0)
        let t = ticket(m.output(message(), kind: .alert, for: tp, offset: 0))
        #expect(m.delivered(report(t, Self.fenced), nowMs: 0) == [.replaceProducer(Self.fenced)])
        let again = m.unacknowledged()
        #expect(again.count == 1, "the new producer sends it again")
        #expect(m.delivered(report(t, Self.clusterAuth), nowMs: 1) == [.fatal(Self.clusterAuth)])
    }

    @Test func fetchingPausesAboveTheInFlightBoundAndResumesBelowHalf() {
        var m = machine(maxInFlight: 100)
        var tickets: [UInt64] = []
        var paused = 0
        for offset in 0..<150 {
            _ = m.beginInput(tp, offset: Int64(offset))
            let actions = m.output(message(), kind: .alert, for: tp, offset: Int64(offset))
            tickets.append(ticket(actions))
            paused += actions.filter { $0 == .pauseFetching }.count
        }
        #expect(paused == 1)
        var resumed = 0
        for t in tickets { resumed += m.delivered(report(t), nowMs: 0).filter { $0 == .resumeFetching }.count }
        #expect(resumed == 1)
        #expect(!m.paused)
    }

    @Test func anOffsetMovingBackwardsIsSkippedAndKeepsTheCommitBehindPendingOutputs() {
        var m = machine()
        _ = m.beginInput(tp, offset: 10)
        let t = ticket(m.output(message(), kind: .alert, for: tp, offset: 10))
        _ = m.beginInput(tp, offset: 11)
        let reread = m.beginInput(tp, offset: 5)
        #expect(!reread, "an out-of-range reset re-reads 5...: already processed")
        #expect(m.committableOffsets() == [tp: 10], "the pending output still holds the commit")
        _ = m.delivered(report(t), nowMs: 0)
        #expect(m.committableOffsets() == [tp: 12])
    }

    /// Property: whatever the interleaving of successes, per-message and retriable failures and
    /// timer ticks, every input is eventually committable, nothing is committed while one of its
    /// outputs is still owed, and the machine never stays stuck.
    @Test func propertyEveryInputIsEventuallyCommittedAndNeverEarly() {
        var rng = SystemRandomNumberGenerator.Seeded(seed: 12)
        for round in 0..<200 {
            var m = machine(retryLimitMs: 2_000, maxInFlight: 1_000)
            var owed: [UInt64: Int64] = [:]  // ticket -> input offset
            var now: Int64 = 0
            let inputs = Int64(1 + rng.next() % 30)
            for offset in 0..<inputs {
                _ = m.beginInput(tp, offset: offset)
                for _ in 0..<(rng.next() % 3) {
                    owed[ticket(m.output(message(), kind: rng.next() % 2 == 0 ? .alert : .deadLetter, for: tp, offset: offset))] = offset
                }
            }
            var steps = 0
            while !owed.isEmpty && steps < 10_000 {
                steps += 1
                now += Int64(rng.next() % 500)
                let t = owed.keys.sorted()[Int(rng.next() % UInt64(owed.count))]
                let error: KafkaError? = [nil, Self.tooLarge, Self.timedOut, Self.unknownTopic][Int(rng.next() % 4)]
                _ = m.delivered(report(t, error), nowMs: now)
                _ = m.timer(nowMs: now)
                if let committed = m.committableOffsets()[tp] {
                    let stillOwed = owed.filter { m.isPending($0.key) }.values.min()
                    if let stillOwed { #expect(committed <= stillOwed, "round \(round): committed past an owed output") }
                }
                owed = owed.filter { m.isPending($0.key) }
            }
            #expect(owed.isEmpty, "round \(round): outputs still owed after \(steps) steps")
            #expect(m.pendingOutputs == 0)
            _ = m.committableOffsets()
            #expect(m.isSettled(tp))
        }
    }
}

extension SystemRandomNumberGenerator {
    /// A seeded SplitMix64, so a failing property round can be reproduced.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
