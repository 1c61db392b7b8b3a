/// Rebuilding a partition's in-memory state after it is assigned, from the partition itself.
///
/// Kafka is the source of truth: a new owner rewinds far enough before the committed offset to
/// cover every horizon its state depends on, replays those records silently (state only: their
/// outputs were published and acknowledged before the commit), and goes live at the committed
/// offset. Where the rewind should start is an event time, but Kafka finds offsets by message
/// timestamp, so recovery first reads the last committed record (the *probe*) to learn the event
/// time reached, then asks for the offset of that time minus the rewind, and filters what it reads
/// by event time: brokers may rewind further than asked (the local test broker always answers the
/// earliest offset).
///
/// A value-type state machine with no I/O: the caller reads records, asks `classify` what to do
/// with each, and performs the seeks it is told to.
public struct PartitionRecovery: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// Waiting for the record just before `committed` to learn how far to rewind.
        case probing(committed: Int64)
        /// Replaying records before `until`; those with event time before `cutoff` are skipped.
        case replaying(until: Int64, cutoff: Int64?)
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
        /// `latest`); this record is not applied now, it is read again during the replay.
        case rewind(lookupTime: Int64?, latest: Int64)
    }

    public private(set) var phase: Phase
    /// How far before the probe's event time to rewind (milliseconds); nil replays everything.
    public let rewind: Int64?

    /// - Parameters:
    ///   - committed: the group's committed offset (next to read), nil when none.
    ///   - rewind: event-time depth to rebuild, milliseconds; nil for the whole partition.
    public init(committed: Int64?, rewind: Int64?) {
        self.rewind = rewind
        guard let committed, committed > 0 else {
            phase = .live
            return
        }
        phase = rewind == nil ? .replaying(until: committed, cutoff: nil) : .probing(committed: committed)
    }

    /// Where fetching should start, nil to start at the committed offset as usual.
    public var startOffset: Int64? {
        switch phase {
        case .probing(let committed): return committed - 1
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
        case .probing(let committed):
            guard offset < committed else {
                // The committed record is gone (retention): nothing before it to rebuild from.
                phase = .live
                return .process
            }
            guard let eventTime, let rewind else {
                phase = .replaying(until: committed, cutoff: nil)
                return .rewind(lookupTime: nil, latest: offset)
            }
            let cutoff = eventTime - rewind
            phase = .replaying(until: committed, cutoff: cutoff)
            // Message timestamps are normally taken after the event; use the earlier of the two.
            return .rewind(lookupTime: min(cutoff, (timestamp ?? eventTime) - rewind), latest: offset)
        case .replaying(let until, let cutoff):
            // Fetched before the rewind took effect: read again once the replay gets there.
            guard offset < until else { return .skip }
            if offset == until - 1 { phase = .live }
            if let cutoff, let eventTime, eventTime < cutoff { return .skip }
            return eventTime == nil ? .skip : .replay
        }
    }

    /// The rewind could not be performed: go live without the replay (state stays partial).
    public mutating func abandon() {
        phase = .live
    }
}
