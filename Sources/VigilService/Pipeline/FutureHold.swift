import VigilCore
import VigilKafka

/// Incidents stamped ahead of the server's clock, held aside until the clock reaches them.
///
/// One incident stamped 23 h ahead (a producer in the wrong time zone) would otherwise move its
/// partition's watermark 23 h forward and send every real incident after it to the late path:
/// no alert for that partition for a day. So the watermark may only be moved by incidents at
/// most `skewMs` ahead of the clock (`input.clock_skew`, less than the allowed lateness): the
/// watermark then never passes the clock, and an incident stamped "now" is never late.
/// Incidents further ahead, up to `maxFutureMs` (`input.max_future`), wait here and are
/// processed once the clock reaches them (a real incident from a fast clock is not lost);
/// beyond that, or when the hold is full, they are dead-lettered (`future_event_time`).
///
/// A value with no I/O and no clock: the caller passes the wall clock in.
struct FutureHold {
    struct Held: Equatable {
        var incident: Incident
        /// The input message, kept for the late path and dead letters.
        var message: KafkaMessage
    }

    enum Decision: Equatable {
        /// At most `skewMs` ahead of the clock: process now.
        case process
        /// Held; `releaseMs` is the clock time at which it will be processed.
        case held(releaseMs: Int64)
        /// Dead-letter it: beyond `maxFutureMs`, or the hold is full.
        case reject(reason: String, message: String)
    }

    let skewMs: Int64
    let maxFutureMs: Int64
    let capacity: Int
    /// Bytes of held messages at most (a hostile producer cannot fill memory through the hold).
    let capacityBytes: Int
    private(set) var heldBytes = 0
    /// Held incidents, ordered by (event time, arrival).
    private(set) var held: [Held] = []
    /// Incidents ever held (a counter for metrics).
    private(set) var heldTotal = 0

    init(skewMs: Int64, maxFutureMs: Int64, capacity: Int, capacityBytes: Int = 64 << 20) {
        self.skewMs = skewMs
        self.maxFutureMs = maxFutureMs
        self.capacity = capacity
        self.capacityBytes = capacityBytes
    }

    /// Decides what to do with `incident` (decoded from `message`) at wall clock `clockMs`.
    /// `message` is copied only when the incident is held.
    mutating func admit(_ incident: Incident, message: @autoclosure () -> KafkaMessage, clockMs: Int64) -> Decision {
        let ahead = incident.eventTime.milliseconds.subtractingReportingOverflow(clockMs)
        if ahead.overflow && incident.eventTime.milliseconds < 0 { return .process }  // far past: the late path's business
        if ahead.overflow || ahead.partialValue > maxFutureMs {
            return .reject(
                reason: "future_event_time",
                message:
                    "event time \(Self.text(incident.eventTime)) is more than \(EventDuration(milliseconds: maxFutureMs)) ahead of the server clock (\(Timestamp(milliseconds: clockMs)))"
            )
        }
        guard ahead.partialValue > skewMs else { return .process }
        let entry = Held(incident: incident, message: message())
        guard held.count < capacity, heldBytes + Self.size(of: entry.message) <= capacityBytes else {
            return .reject(
                reason: "future_event_time",
                message:
                    "event time \(Self.text(incident.eventTime)) is ahead of the server clock (\(Timestamp(milliseconds: clockMs))) and \(capacity) incidents are already held (input.max_held)"
            )
        }
        let index = held.firstIndex { $0.incident.eventTime > incident.eventTime } ?? held.endIndex
        held.insert(entry, at: index)
        heldBytes += Self.size(of: entry.message)
        heldTotal += 1
        return .held(releaseMs: incident.eventTime.milliseconds - skewMs)
    }

    /// Removes and returns the incidents the clock has reached, oldest event time first, of the
    /// partitions `ready` accepts (a partition still rebuilding keeps its held incidents).
    mutating func release(clockMs: Int64, ready: (TopicPartition) -> Bool = { _ in true }) -> [Held] {
        guard let first = held.first, first.incident.eventTime.milliseconds - skewMs <= clockMs else { return [] }
        var released: [Held] = []
        var kept: [Held] = []
        for entry in held {
            if entry.incident.eventTime.milliseconds - skewMs <= clockMs, ready(entry.message.topicPartition) {
                released.append(entry)
            } else {
                kept.append(entry)
            }
        }
        held = kept
        heldBytes -= released.reduce(0) { $0 + Self.size(of: $1.message) }
        return released
    }

    /// Forgets the incidents of a revoked partition (its next owner replays and holds them).
    mutating func drop(_ tp: TopicPartition) {
        held.removeAll { $0.message.topic == tp.topic && $0.message.partition == tp.partition }
        heldBytes = held.reduce(0) { $0 + Self.size(of: $1.message) }
    }

    /// RFC 3339 for plausible times; raw milliseconds for hostile ones (formatting traps on them).
    private static func text(_ time: Timestamp) -> String {
        (-100_000_000_000_000..<100_000_000_000_000).contains(time.milliseconds)
            ? time.description : "\(time.milliseconds) ms since the epoch"
    }

    private static func size(of message: KafkaMessage) -> Int {
        (message.value?.count ?? 0) + (message.key?.count ?? 0) + 256
    }
}
