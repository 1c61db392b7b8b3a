/// Rebuilding a partition's in-memory state after it is assigned, from the partition itself.
///
/// Kafka is the source of truth: a new owner rewinds far enough before the committed offset C to
/// cover every horizon its state depends on, replays those records silently (state only: their
/// outputs were published and acknowledged before the commit), and goes live at the first record
/// at or after C. Where the rewind should start is an event time, but Kafka finds offsets by
/// message timestamp, so recovery first reads the record just before C (the *probe*; when that
/// offset holds no record — compacted, deleted, a transaction marker — the first record after it
/// serves) to learn the event time reached, then asks for the offset of that time minus the
/// rewind, and filters what it reads by event time: brokers may rewind further than asked.
///
/// Decisions come from positions, never from seeing one exact offset: the log's start and end
/// (low and high watermarks) read at assignment, record offsets compared with C, and the fetch
/// position. A committed offset beyond the log end (unclean leader election, topic recreated
/// while the group's offsets survived) or before the log start (retention deleted unread
/// records) is an `anomaly` that the caller reports loudly; the partition is then read from its
/// start, live, instead of silently replaying or skipping what it holds.
///
/// A value-type state machine with no I/O: the caller reads records, asks `classify` what to do
/// with each, performs the seeks it is told to, and reports batch ends and fetch positions.
public struct PartitionRecovery: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// Waiting for the probe (the record before `committed`) to learn how far to rewind.
        case probing(committed: Int64)
        /// The high watermark said `committed` is beyond the log end; the first record read from
        /// `committed - 1` confirms it (an offset below: the log was reset) or refutes it (brokers
        /// may misreport watermarks; the local test broker does).
        case verifying(committed: Int64, end: Int64)
        /// Replaying records before `until`; those with event time before `cutoff` are skipped.
        /// `seekPending`: a rewind was ordered in this batch; what the batch still holds was
        /// fetched before it and is read again later.
        case replaying(until: Int64, cutoff: Int64?, seekPending: Bool)
        /// Records are processed normally.
        case live
    }

    public enum Action: Sendable, Equatable {
        /// Process normally (live).
        case process
        /// Apply to state silently: no outputs, no offsets.
        case replay
        /// Ignore: older than the rewind cutoff, or fetched before the rewind took effect.
        case skip
        /// The probe was read: seek to the offset of message time `lookupTime` (never past
        /// `latest`; nil: the partition's start); this record is read again during the replay.
        case rewind(lookupTime: Int64?, latest: Int64)
    }

    /// Where the committed offset stands against the log, when it is not inside it.
    public enum Anomaly: Sendable, Equatable, CustomStringConvertible {
        /// C > high watermark: the log was truncated or recreated; [start, end) was never read.
        case committedBeyondEnd(committed: Int64, end: Int64)
        /// C < log start: [C, start) was deleted before it was read.
        case committedBeforeStart(committed: Int64, start: Int64)

        public var kind: String {
            switch self {
            case .committedBeyondEnd: return "committed_beyond_end"
            case .committedBeforeStart: return "committed_before_start"
            }
        }

        public var description: String {
            switch self {
            case .committedBeyondEnd(let c, let end):
                return
                    "committed offset \(c) is beyond the log end \(end) (log truncated or topic recreated): reading the log from its start, live"
            case .committedBeforeStart(let c, let start):
                return "committed offset \(c) is before the log start \(start): records \(c)..<\(start) were deleted unread"
            }
        }
    }

    public private(set) var phase: Phase
    /// How far before the probe's event time to rewind (milliseconds); nil replays everything.
    public let rewind: Int64?
    public private(set) var anomaly: Anomaly?
    private let logStart: Int64?
    /// Records classified since the last seek took effect: a jump past the replay range with
    /// none read is checked once more (see `classify`).
    private var readSinceSeek = 0
    private var jumpRechecked = false
    /// The rewind last ordered, repeated when a jump is rechecked.
    private var lastRewind: Action?

    /// - Parameters:
    ///   - committed: the group's committed offset (next to read), nil when none.
    ///   - rewind: event-time depth to rebuild, milliseconds; nil for the whole partition.
    ///   - low, high: the log's start offset and high watermark at assignment, nil when unknown.
    public init(committed: Int64?, rewind: Int64?, low: Int64? = nil, high: Int64? = nil) {
        self.rewind = rewind
        logStart = low
        guard let committed, committed > 0 else {
            phase = .live
            anomaly = nil
            return
        }
        if let high, committed > high {
            anomaly = nil
            phase = .verifying(committed: committed, end: high)
            return
        }
        if let low, committed < low {
            anomaly = .committedBeforeStart(committed: committed, start: low)
            phase = .live
            return
        }
        anomaly = nil
        if let low, committed == low {
            phase = .live  // nothing before C to rebuild from
            return
        }
        phase = rewind == nil ? .replaying(until: committed, cutoff: nil, seekPending: false) : .probing(committed: committed)
    }

    /// Where fetching should start, nil to start at the committed offset as usual.
    public var startOffset: Int64? {
        if anomaly != nil { return logStart ?? KafkaOffset.beginning }
        switch phase {
        case .probing(let committed), .verifying(let committed, _): return committed - 1
        case .replaying: return KafkaOffset.beginning
        case .live: return nil
        }
    }

    public var isLive: Bool { phase == .live }

    /// Decides what to do with the record at `offset` (event time `eventTime`, nil when the
    /// record cannot be decoded; `timestamp` is the message timestamp).
    public mutating func classify(offset: Int64, eventTime: Int64?, timestamp: Int64?) -> Action {
        switch phase {
        case .live:
            return .process
        case .verifying(let committed, let end):
            guard offset >= committed - 1 else {
                // The fetch from C - 1 was reset to the log's start: the log really ends before C.
                anomaly = .committedBeyondEnd(committed: committed, end: end)
                phase = .live
                return .process
            }
            // The record is there: the watermark was wrong. Recover as usual from here.
            if rewind == nil {
                phase = .replaying(until: committed, cutoff: nil, seekPending: true)
                return ordering(.rewind(lookupTime: nil, latest: committed - 1))
            }
            phase = .probing(committed: committed)
            return classify(offset: offset, eventTime: eventTime, timestamp: timestamp)
        case .probing(let committed):
            // The record at committed - 1, or the first one after it when that offset holds none.
            guard let eventTime, let rewind else {
                phase = .replaying(until: committed, cutoff: nil, seekPending: true)
                return ordering(.rewind(lookupTime: nil, latest: committed - 1))
            }
            let cutoff = eventTime.subtractingClamped(rewind)
            phase = .replaying(until: committed, cutoff: cutoff, seekPending: true)
            // Message timestamps are normally taken after the event; use the earlier of the two.
            return ordering(.rewind(lookupTime: min(cutoff, (timestamp ?? eventTime).subtractingClamped(rewind)), latest: committed - 1))
        case .replaying(let until, let cutoff, let seekPending):
            if seekPending { return .skip }  // fetched before the rewind took effect: read again
            guard offset < until else {
                // The first record after the seek is already at or past C although the log holds
                // offsets before C: the seek may have been overridden (librdkafka applies a
                // committed-offset fetch still pending from the assignment after a later seek,
                // confluentinc/librdkafka#2256). Seek once more before believing it.
                if readSinceSeek == 0, let again = recheckJump(until: until, cutoff: cutoff) { return again }
                phase = .live  // the first record at or after C, whatever was before it
                return .process
            }
            readSinceSeek += 1
            if offset == until - 1 { phase = .live }
            if let cutoff, let eventTime, eventTime < cutoff { return .skip }
            return eventTime == nil ? .skip : .replay
        }
    }

    /// The poll that returned the records classified so far has ended: a seek ordered during it
    /// has taken effect, and later records come from the new position.
    public mutating func batchEnded() {
        if case .replaying(_, _, true) = phase { readSinceSeek = 0 }
        if case .replaying(let until, let cutoff, true) = phase { phase = .replaying(until: until, cutoff: cutoff, seekPending: false) }
    }

    /// The consumer's position for the partition (the next offset it will return), checked while
    /// rebuilding. Goes live (returns true) once everything before C has been read, even when no
    /// record at or after C exists yet. (Watermarks are not trusted here: some brokers misreport them.)
    ///
    /// Returns nil while replaying, `.process` when live, or a `.rewind` to perform when the
    /// position jumped past C with nothing read since the seek (rechecked once, as in `classify`).
    public mutating func positionReached(_ position: Int64) -> Action? {
        guard case .replaying(let until, let cutoff, false) = phase, position >= until else { return nil }
        if readSinceSeek == 0, let again = recheckJump(until: until, cutoff: cutoff) { return again }
        phase = .live
        return .process
    }

    /// Remembers `rewind` as the one to repeat if its seek seems overridden.
    private mutating func ordering(_ rewind: Action) -> Action {
        lastRewind = rewind
        return rewind
    }

    /// Orders the last rewind again (or one to the start) when the log holds offsets before
    /// `until` that were not read; at most once, so a log whose records before C are all
    /// transaction markers or compacted away still goes live.
    private mutating func recheckJump(until: Int64, cutoff: Int64?) -> Action? {
        guard !jumpRechecked, (logStart ?? 0) < until else { return nil }
        jumpRechecked = true
        phase = .replaying(until: until, cutoff: cutoff, seekPending: true)
        let again = lastRewind ?? .rewind(lookupTime: nil, latest: until - 1)
        lastRewind = again
        return again
    }

    /// No probe arrived in time (C - 1 holds no record and nothing follows it yet): rebuild from
    /// the start of the partition instead of waiting, since no event time is known to rewind to.
    public mutating func probeFoundNothing() -> Action? {
        if case .verifying(let committed, let end) = phase {
            anomaly = .committedBeyondEnd(committed: committed, end: end)  // nothing there at all
            phase = .live
            return nil
        }
        guard case .probing(let committed) = phase else { return nil }
        phase = .replaying(until: committed, cutoff: nil, seekPending: true)
        return ordering(.rewind(lookupTime: nil, latest: committed - 1))
    }

    /// The rewind could not be performed: go live without the replay (state stays partial).
    public mutating func abandon() {
        phase = .live
    }
}

extension Int64 {
    /// `self - other`, saturating at `Int64.min` instead of trapping (hostile timestamps).
    func subtractingClamped(_ other: Int64) -> Int64 {
        let (value, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other > 0 ? .min : .max) : value
    }
}
