/// Decides how far each partition's offset may be committed under at-least-once delivery.
///
/// Every consumed message is an *input*; each input may cause *outputs* (alerts, dead letters)
/// that must be acknowledged by the broker before the input counts as done. The committable offset
/// of a partition is the lowest input still waiting for an output, or one past the last input seen
/// when none waits. Pure bookkeeping: no I/O, no clock, O(1) amortised per call.
public struct OffsetAckTracker: Sendable {
    /// Identifies one pending output; pass it as the produce call's opaque value.
    public typealias Ticket = UInt64

    private struct PartitionState: Sendable {
        /// Inputs with outputs outstanding, in offset order (entries may be settled lazily).
        var waiting: [Int64] = []
        var head = 0
        var outstanding: [Int64: Int] = [:]
        /// One past the highest offset begun.
        var next: Int64?
        /// The last value handed out by `committableOffsets`.
        var reported: Int64?
    }

    private var partitions: [TopicPartition: PartitionState] = [:]
    private var tickets: [Ticket: (TopicPartition, Int64)] = [:]
    private var nextTicket: Ticket = 1

    public init() {}

    /// Outputs not yet acknowledged, over all partitions.
    public var pendingOutputs: Int { tickets.count }

    /// Records that `offset` was consumed; call before `addOutput` for it. Offsets increase within
    /// a partition; if one goes backwards (the consumer was rewound, e.g. an offset reset), the
    /// partition's bookkeeping restarts from it and this returns false: commit positions then only
    /// move back, which re-reads rather than skips.
    @discardableResult
    public mutating func beginInput(_ tp: TopicPartition, offset: Int64) -> Bool {
        if let next = partitions[tp]?.next, offset < next {
            drop(tp)
            partitions[tp] = PartitionState(next: offset + 1)
            return false
        }
        partitions[tp, default: PartitionState()].next = offset + 1
        return true
    }

    /// Records that `offset` was consumed unless it lies below an offset already begun on `tp`
    /// (the fetch position moved backwards): then nothing changes and this returns false, so the
    /// caller can skip a record it has processed. The per-message call of the daemon: one
    /// dictionary access instead of the two or three of `nextOffset` followed by `beginInput`.
    public mutating func beginInputIfAhead(_ tp: TopicPartition, offset: Int64) -> Bool {
        Self.advance(&partitions[tp, default: PartitionState()], to: offset)
    }

    private static func advance(_ state: inout PartitionState, to offset: Int64) -> Bool {
        if let next = state.next, offset < next { return false }
        state.next = offset + 1
        return true
    }

    /// Registers an output caused by input `offset` of `tp` and returns its ticket.
    public mutating func addOutput(_ tp: TopicPartition, offset: Int64) -> Ticket {
        let ticket = nextTicket
        nextTicket &+= 1
        tickets[ticket] = (tp, offset)
        // Mutated in place: a copy of the state would make the next change copy its containers.
        Self.count(output: offset, in: &partitions[tp, default: PartitionState()])
        return ticket
    }

    private static func count(output offset: Int64, in state: inout PartitionState) {
        if let count = state.outstanding[offset] {
            state.outstanding[offset] = count + 1
        } else {
            state.outstanding[offset] = 1
            state.waiting.append(offset)
        }
    }

    /// Marks the output behind `ticket` as acknowledged. Unknown tickets (e.g. of a dropped
    /// partition) are ignored and reported as false.
    @discardableResult
    public mutating func acknowledge(_ ticket: Ticket) -> Bool {
        guard let (tp, offset) = tickets.removeValue(forKey: ticket), partitions[tp] != nil else { return false }
        Self.settle(output: offset, in: &partitions[tp, default: PartitionState()])
        return true
    }

    private static func settle(output offset: Int64, in state: inout PartitionState) {
        if let count = state.outstanding[offset] {
            if count <= 1 { state.outstanding[offset] = nil } else { state.outstanding[offset] = count - 1 }
        }
        // Settle the front of the queue; keep the array from growing forever.
        while state.head < state.waiting.count, state.outstanding[state.waiting[state.head]] == nil {
            state.head += 1
        }
        if state.head > 1024, state.head * 2 > state.waiting.count {
            state.waiting.removeFirst(state.head)
            state.head = 0
        }
    }

    /// The offset up to which `tp` may be committed (the next offset to read after a restart).
    public func committableOffset(_ tp: TopicPartition) -> Int64? {
        guard let state = partitions[tp] else { return nil }
        if state.head < state.waiting.count { return state.waiting[state.head] }
        return state.next
    }

    /// Committable offsets that moved since the last call: what to hand to `storeOffsets`.
    public mutating func committableOffsets() -> [TopicPartition: Int64] {
        var moved: [TopicPartition: Int64] = [:]
        for tp in partitions.keys {
            guard let offset = committableOffset(tp), offset != partitions[tp]!.reported else { continue }
            partitions[tp]!.reported = offset
            moved[tp] = offset
        }
        return moved
    }

    /// One past the highest offset begun on `tp`, nil when none since it was (re)started.
    public func nextOffset(_ tp: TopicPartition) -> Int64? { partitions[tp]?.next }

    /// True when `tp` has no unacknowledged output.
    public func isSettled(_ tp: TopicPartition) -> Bool {
        guard let state = partitions[tp] else { return true }
        return state.head == state.waiting.count
    }

    /// True while the output behind `ticket` awaits acknowledgement.
    public func isPending(_ ticket: Ticket) -> Bool { tickets[ticket] != nil }

    /// Forgets `tp` (on revoke or rewind); its outstanding tickets become unknown.
    public mutating func drop(_ tp: TopicPartition) {
        partitions[tp] = nil
        tickets = tickets.filter { $0.value.0 != tp }
    }
}
