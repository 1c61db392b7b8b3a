import Testing
import VigilCore
import VigilKafka

@testable import VigilService

/// Bad clocks (issue 12): one incident stamped 23 h ahead must not black out its partition.
@Suite("FutureHold: incidents ahead of the server clock never move the watermark")
struct FutureHoldTests {
    static let hour: Int64 = 3_600_000
    static let now: Int64 = 1_780_000_000_000  // the server clock in these tests

    static func incident(_ id: String, at ms: Int64) -> Incident {
        Incident(
            id: id, eventTime: Timestamp(milliseconds: ms), category: "Assault", neighbourhood: "Annex",
            latitude: 43.67, longitude: -79.40)
    }

    static func message(_ offset: Int64) -> KafkaMessage {
        KafkaMessage(topic: "incidents", partition: 0, offset: offset, value: Array("{}".utf8))
    }

    /// The seen failure, on the real engine: with the hold at the edge, the 50 real incidents
    /// after a 23-h-ahead one are all accepted (none late); without it, all 50 are late.
    @Test func theRealIncidentsAfterOneStampedADayAheadAreProcessedNormally() {
        let engineConfig = EngineConfiguration(
            grid: MetricGrid(cellSize: 250, bounds: GeoBounds(south: 43.58, west: -79.64, north: 43.86, east: -79.11)),
            allowedLateness: .hours(1))
        var guarded = IncidentEngine(configuration: engineConfig)
        var unguarded = IncidentEngine(configuration: engineConfig)
        var hold = FutureHold(skewMs: 5 * 60_000, maxFutureMs: 24 * Self.hour, capacity: 100)
        var stream = (0..<50).map { Self.incident("before-\($0)", at: Self.now - 50_000 + Int64($0) * 1000) }
        stream.append(Self.incident("wrong-time-zone", at: Self.now + 23 * Self.hour))
        stream += (0..<50).map { Self.incident("after-\($0)", at: Self.now + Int64($0) * 1000) }
        var late = 0
        var lateUnguarded = 0
        var held = 0
        for (offset, incident) in stream.enumerated() {
            let clock = Self.now + Int64(offset) * 1000  // the server clock moves along
            if case .late = unguarded.process(incident) { lateUnguarded += 1 }
            switch hold.admit(incident, message: Self.message(Int64(offset)), clockMs: clock) {
            case .process: if case .late = guarded.process(incident) { late += 1 }
            case .held: held += 1
            case .reject: Issue.record("nothing here is beyond max_future")
            }
        }
        #expect(lateUnguarded == 50, "the seen failure: every later real incident is late without the hold")
        #expect(late == 0, "with the hold, none is")
        #expect(held == 1)
        #expect(guarded.watermark.maxEventTime!.milliseconds <= Self.now + 100_000)
        // When the clock reaches it, the held incident is processed (not lost, not late).
        let early = hold.release(clockMs: Self.now + 22 * Self.hour)
        #expect(early.isEmpty)
        let released = hold.release(clockMs: Self.now + 23 * Self.hour)
        #expect(released.map(\.incident.id) == ["wrong-time-zone"])
        if case .late = guarded.process(released[0].incident) { Issue.record("a released incident is not late") }
    }

    @Test func beyondMaxFutureOrAFullHoldIsDeadLetteredWithAReason() {
        var hold = FutureHold(skewMs: 60_000, maxFutureMs: 24 * Self.hour, capacity: 1)
        guard
            case .reject("future_event_time", let far) = hold.admit(
                Self.incident("a", at: Self.now + 30 * Self.hour), message: Self.message(0), clockMs: Self.now)
        else {
            Issue.record("30 h ahead is beyond max_future")
            return
        }
        #expect(far.contains("ahead of the server clock"))
        guard case .held = hold.admit(Self.incident("b", at: Self.now + Self.hour), message: Self.message(1), clockMs: Self.now) else {
            Issue.record("an hour ahead is held")
            return
        }
        guard
            case .reject(let reason, let text) = hold.admit(
                Self.incident("c", at: Self.now + Self.hour), message: Self.message(2), clockMs: Self.now)
        else {
            Issue.record("a full hold rejects")
            return
        }
        #expect(reason == "future_event_time")
        #expect(text.contains("input.max_held"))
        #expect(hold.admit(Self.incident("d", at: Self.now + 59_000), message: Self.message(3), clockMs: Self.now) == .process)
    }

    @Test func hostileEventTimesNeitherTrapNorHold() {
        var hold = FutureHold(skewMs: 60_000, maxFutureMs: 24 * Self.hour, capacity: 10)
        for ms in [Int64.max, Int64.max - 1, Int64.min, Int64.min + 1] {
            let decision = hold.admit(Self.incident("x", at: ms), message: Self.message(0), clockMs: Self.now)
            if ms > 0 {
                guard case .reject = decision else {
                    Issue.record("\(ms): \(decision)")
                    continue
                }
            } else {
                #expect(decision == .process, "far past is the late path's business")
            }
        }
        #expect(hold.held.isEmpty)
    }

    @Test func releaseIsInEventTimeOrderAndDropForgetsARevokedPartition() {
        var hold = FutureHold(skewMs: 0, maxFutureMs: 24 * Self.hour, capacity: 10)
        for (i, ahead) in [3, 1, 2].enumerated() {
            _ = hold.admit(
                Self.incident("\(ahead)", at: Self.now + Int64(ahead) * Self.hour), message: Self.message(Int64(i)), clockMs: Self.now)
        }
        #expect(hold.release(clockMs: Self.now + 2 * Self.hour).map(\.incident.id) == ["1", "2"])
        hold.drop(TopicPartition("incidents", 0))
        #expect(hold.held.isEmpty)
        #expect(hold.heldBytes == 0)
    }
}
