import Testing
import VigilCore
import VigilKafka

@testable import VigilService

/// The per-record decisions of `vigil run`, without a broker (issue 12): the two messages that
/// broke the daemon (1.2 MB, 23 h ahead), an offset reset, hostile values, and a property over
/// random streams that nothing is lost, processed twice or committed early.
@Suite("RecordRouter: every record is skipped, dead-lettered, held or processed, exactly once")
struct RecordRouterTests {
    static let tp = TopicPartition("incidents", 0)
    static let hour: Int64 = 3_600_000
    static let now: Int64 = 1_780_000_000_000  // the server clock in these tests
    static let deadLetterMaxBytes = 262_144

    static func router(maxHeld: Int = 100) -> RecordRouter {
        RecordRouter(
            decoder: IncidentDecoder(maxMessageBytes: 65_536),
            configuration: .init(deadLetterTopic: "dlq", deadLetterMaxBytes: deadLetterMaxBytes),
            hold: FutureHold(skewMs: 5 * 60_000, maxFutureMs: 24 * hour, capacity: maxHeld))
    }

    static func delivery() -> DeliveryStateMachine {
        DeliveryStateMachine(configuration: .init(retryLimitMs: 10_000, maxInFlight: 1_000, deadLetterTopic: "dlq"))
    }

    static func incident(_ id: String, at ms: Int64) -> [UInt8] {
        Array(
            #"{"id":"\#(id)","event_time":"\#(Timestamp(milliseconds: ms))","category":"Assault","neighbourhood":"Annex","lat":43.67,"lon":-79.40}"#
                .utf8)
    }

    static func record(_ offset: Int64, _ value: [UInt8]?) -> KafkaMessage {
        KafkaMessage(topic: tp.topic, partition: tp.partition, offset: offset, timestamp: now, value: value)
    }

    /// Seen: a 1.2 MB message crash-looped the daemon (its dead letter, a full copy, was larger
    /// than the topic accepts). Now: its dead letter is cut to the configured size, says the
    /// original length and hash, and once acknowledged all 101 offsets are committable.
    @Test func a12MBMessageBecomesATruncatedDeadLetterAndAll101OffsetsAreCommitted() {
        var router = Self.router()
        var delivery = Self.delivery()
        var processed = 0
        var deadLetters: [(UInt64, OutgoingMessage)] = []
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 1_200_000)
        for offset in Int64(0)..<101 {
            let value = offset == 50 ? big : Self.incident("i\(offset)", at: Self.now - 100_000 + offset * 1000)
            switch router.route(Self.record(offset, value), clockMs: Self.now, delivery: &delivery) {
            case .process: processed += 1
            case .deadLetter(let message, let reason, let detail):
                #expect(reason == "too_large")
                #expect(detail.contains("1200000") || detail.contains("bytes"), "the detail says why: \(detail)")
                for case .send(let ticket, let sent) in delivery.output(message, kind: .deadLetter, for: Self.tp, offset: offset) {
                    deadLetters.append((ticket, sent))
                }
            default: Issue.record("offset \(offset): unexpected decision")
            }
        }
        #expect(processed == 100)
        #expect(deadLetters.count == 1)
        guard let (ticket, letter) = deadLetters.first else { return }
        #expect(letter.topic == "dlq")
        #expect((letter.value?.count ?? 0) <= Self.deadLetterMaxBytes, "cut to what the topic accepts")
        let header = { (name: String) in letter.headers.first { $0.name == name }?.stringValue }
        #expect(header("vigil.error.reason") == "too_large")
        #expect(header("vigil.payload.length") == "1200000")
        #expect(header("vigil.payload.sha256") == SHA256.hex(big))
        #expect(header("vigil.source.offset") == "50", "the original stays retrievable at its offset")
        #expect(delivery.committableOffsets() == [Self.tp: 50], "held at the poison message until its dead letter is acknowledged")
        _ = delivery.delivered(DeliveryReport(topic: "dlq", partition: 0, offset: 0, opaque: ticket), nowMs: 0)
        #expect(delivery.committableOffsets() == [Self.tp: 101], "all 101 offsets committed")
    }

    /// Seen: one incident stamped 23 h ahead moved the watermark and sent the next 50 real
    /// incidents to the late path. Now it is held (its offset committable at once, nothing sent)
    /// and the 50 are processed.
    @Test func anIncident23HoursAheadIsHeldAndTheRealOnesAfterItAreProcessed() {
        var router = Self.router()
        var delivery = Self.delivery()
        guard
            case .held(let incident, let releaseMs) = router.route(
                Self.record(0, Self.incident("tz", at: Self.now + 23 * Self.hour)),
                clockMs: Self.now, delivery: &delivery)
        else {
            Issue.record("23 h ahead (within max_future 24 h) is held")
            return
        }
        #expect(incident.id == "tz")
        #expect(releaseMs == Self.now + 23 * Self.hour - 5 * 60_000)
        var processed = 0
        for offset in Int64(1)...50 {
            if case .process = router.route(
                Self.record(offset, Self.incident("r\(offset)", at: Self.now + offset)), clockMs: Self.now, delivery: &delivery)
            {
                processed += 1
            }
        }
        #expect(processed == 50)
        #expect(delivery.committableOffsets() == [Self.tp: 51], "a held incident owes nothing: its offset moves on")
        #expect(router.hold.release(clockMs: Self.now + 23 * Self.hour).map(\.incident.id) == ["tz"])
    }

    @Test func recordsReadAgainAfterAnOffsetResetAreSkippedWithoutDecoding() {
        var router = Self.router()
        var delivery = Self.delivery()
        for offset in Int64(0)..<10 {
            _ = router.route(Self.record(offset, Self.incident("i\(offset)", at: Self.now)), clockMs: Self.now, delivery: &delivery)
        }
        for offset in Int64(5)..<10 {
            // Undecodable on purpose: a skipped re-read is not even decoded (no second dead letter).
            #expect(router.route(Self.record(offset, Array("garbage".utf8)), clockMs: Self.now, delivery: &delivery) == .alreadyProcessed)
        }
        if case .process = router.route(Self.record(10, Self.incident("i10", at: Self.now)), clockMs: Self.now, delivery: &delivery) {
        } else {
            Issue.record("the first new offset is processed")
        }
    }

    /// Hostile values never trap and never pass: a tombstone, a year-9999 stamp, beyond
    /// `max_future`, and a full hold each become a dead letter with a reason.
    @Test func hostileRecordsBecomeDeadLettersWithAReason() {
        var router = Self.router(maxHeld: 1)
        var delivery = Self.delivery()
        func reason(_ offset: Int64, _ value: [UInt8]?) -> String? {
            if case .deadLetter(_, let reason, _) = router.route(Self.record(offset, value), clockMs: Self.now, delivery: &delivery) {
                return reason
            }
            return nil
        }
        #expect(reason(0, nil) != nil, "a tombstone is dead-lettered, not dropped")
        #expect(reason(1, Self.incident("far", at: 253_402_300_799_000)) != nil, "year 9999: refused by the decoder or the hold")
        #expect(reason(2, Self.incident("30h", at: Self.now + 30 * Self.hour)) == "future_event_time")
        #expect(reason(3, Self.incident("held", at: Self.now + Self.hour)) == nil, "held (the hold has room for one)")
        #expect(reason(4, Self.incident("full", at: Self.now + Self.hour)) == "future_event_time", "the hold is full")
        #expect(reason(5, Array(#"{"id":"x","event_time":"-292277022-01-01T00:00:00Z"}"#.utf8)) != nil)
    }

    /// Property: over random streams (good, malformed, oversized, ahead, beyond max_future, and
    /// offset resets) with random delivery outcomes, each record gets the decision its kind
    /// calls for, exactly once; no offset is committed while its dead letter is owed; and at
    /// the end every offset is committed.
    @Test func propertyEveryRecordIsDecidedOnceAndEveryOffsetIsEventuallyCommitted() {
        var rng = SystemRandomNumberGenerator.Seeded(seed: 2026)
        let timedOut = KafkaError(rawCode: -192, message: "message timed out")
        let tooLarge = KafkaError(rawCode: 10, message: "message too large")
        for round in 0..<100 {
            var router = Self.router(maxHeld: 1_000)
            var delivery = Self.delivery()
            var owed: [UInt64: Int64] = [:]
            var decided: [Int64: String] = [:]
            var now: Int64 = 0
            var next: Int64 = 0
            var processedIDs = Set<String>()
            for _ in 0..<Int(20 + rng.next() % 60) {
                if next > 3, rng.next() % 10 == 0 {  // an offset reset: re-read a few records
                    let back = Int64(1 + rng.next() % UInt64(min(next, 5)))
                    for offset in (next - back)..<next {
                        #expect(
                            router.route(Self.record(offset, Array("{}".utf8)), clockMs: Self.now, delivery: &delivery) == .alreadyProcessed
                        )
                    }
                    continue
                }
                let offset = next
                next += 1
                let kind = Int(rng.next() % 6)
                let value: [UInt8]
                switch kind {
                case 0: value = Array("{\"id\":".utf8)
                case 1: value = [UInt8](repeating: 0x20, count: 70_000)
                case 2: value = Self.incident("a\(offset)", at: Self.now + Int64(1 + rng.next() % 20) * Self.hour)
                case 3: value = Self.incident("f\(offset)", at: Self.now + Int64(25 + rng.next() % 100) * Self.hour)
                default: value = Self.incident("g\(offset)", at: Self.now - Int64(rng.next() % 600_000))
                }
                let decision = router.route(Self.record(offset, value), clockMs: Self.now, delivery: &delivery)
                #expect(decided[offset] == nil, "round \(round): offset \(offset) decided twice")
                switch decision {
                case .deadLetter(let message, let reason, _):
                    decided[offset] = "dead_letter"
                    #expect([0, 1, 3].contains(kind), "round \(round): kind \(kind) dead-lettered (\(reason))")
                    #expect(
                        reason == ["malformed_json", "too_large", "", "future_event_time"][kind] || kind == 0,
                        "round \(round): kind \(kind) reason \(reason)")
                    for case .send(let ticket, _) in delivery.output(message, kind: .deadLetter, for: Self.tp, offset: offset) {
                        owed[ticket] = offset
                    }
                case .held:
                    decided[offset] = "held"
                    #expect(kind == 2)
                case .process(let incident):
                    decided[offset] = "process"
                    #expect(kind >= 4)
                    #expect(processedIDs.insert(incident.id).inserted, "processed once")
                case .alreadyProcessed: Issue.record("round \(round): offset \(offset) is new")
                }
                // Deliver some owed dead letters, with random outcomes.
                while let ticket = owed.keys.sorted().first, rng.next() % 2 == 0 {
                    now += Int64(rng.next() % 3_000)
                    let error: KafkaError? = [nil, nil, timedOut, tooLarge][Int(rng.next() % 4)]
                    for case .send(let again, _) in delivery.delivered(
                        DeliveryReport(topic: "dlq", partition: 0, offset: 0, opaque: ticket, error: error), nowMs: now)
                    {
                        owed[again] = owed[ticket]
                    }
                    _ = delivery.timer(nowMs: now)
                    owed = owed.filter { delivery.isPending($0.key) }
                }
                if let committed = delivery.committableOffsets()[Self.tp], let lowestOwed = owed.values.min() {
                    #expect(committed <= lowestOwed, "round \(round): committed past an owed dead letter")
                }
            }
            while let ticket = owed.keys.sorted().first {
                _ = delivery.delivered(DeliveryReport(topic: "dlq", partition: 0, offset: 0, opaque: ticket), nowMs: now)
                owed = owed.filter { delivery.isPending($0.key) }
            }
            #expect(decided.count == Int(next), "round \(round): every offset decided")
            _ = delivery.committableOffsets()
            #expect(delivery.isSettled(Self.tp))
            #expect(delivery.tracker.nextOffset(Self.tp) == next)
        }
    }
}
