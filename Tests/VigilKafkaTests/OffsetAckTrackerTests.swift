import Testing
import VigilKafka

@Suite("OffsetAckTracker: at-least-once commit positions")
struct OffsetAckTrackerTests {
    let tp = TopicPartition("in", 0)

    @Test func inputsWithoutOutputsAreCommittableImmediately() {
        var t = OffsetAckTracker()
        t.beginInput(tp, offset: 0)
        t.beginInput(tp, offset: 1)
        #expect(t.committableOffset(tp) == 2)
        #expect(t.committableOffsets() == [tp: 2])
        #expect(t.committableOffsets().isEmpty, "unchanged offsets are not reported twice")
    }

    @Test func anUnacknowledgedOutputHoldsTheOffsetBack() {
        var t = OffsetAckTracker()
        t.beginInput(tp, offset: 10)
        let a = t.addOutput(tp, offset: 10)
        t.beginInput(tp, offset: 11)
        let b = t.addOutput(tp, offset: 11)
        t.beginInput(tp, offset: 12)
        #expect(t.committableOffset(tp) == 10)
        t.acknowledge(b)
        #expect(t.committableOffset(tp) == 10, "a later ack must not move past an earlier pending input")
        t.acknowledge(a)
        #expect(t.committableOffset(tp) == 13)
        #expect(t.pendingOutputs == 0)
    }

    @Test func everyOutputOfAnInputMustBeAcknowledged() {
        var t = OffsetAckTracker()
        t.beginInput(tp, offset: 0)
        let a = t.addOutput(tp, offset: 0)
        let b = t.addOutput(tp, offset: 0)
        t.acknowledge(a)
        #expect(t.committableOffset(tp) == 0)
        t.acknowledge(b)
        #expect(t.committableOffset(tp) == 1)
    }

    @Test func droppedPartitionsForgetTheirTickets() {
        var t = OffsetAckTracker()
        t.beginInput(tp, offset: 0)
        let a = t.addOutput(tp, offset: 0)
        t.drop(tp)
        #expect(!t.isPending(a))
        #expect(t.acknowledge(a) == false)
        #expect(t.committableOffset(tp) == nil)
    }

    @Test func aRewoundPartitionRestartsItsBookkeepingAndNeverMovesForward() {
        var t = OffsetAckTracker()
        let first = t.beginInput(tp, offset: 10)
        let pending = t.addOutput(tp, offset: 10)
        let second = t.beginInput(tp, offset: 11)
        let rewound = t.beginInput(tp, offset: 5)
        #expect(first && second)
        #expect(rewound == false, "a lower offset is reported")
        #expect(t.committableOffset(tp) == 6)
        #expect(!t.isPending(pending))
        let acknowledged = t.acknowledge(pending)
        #expect(acknowledged == false)
    }

    /// `beginInputIfAhead` is the daemon's per-message call: it must decide and record exactly as
    /// `nextOffset` followed by `beginInput` did, and leave a partition unchanged when it refuses.
    @Test func propertyBeginInputIfAheadMatchesNextOffsetThenBeginInput() {
        var rng = SplitMix64(seed: 7)
        let partitions = (0..<3).map { TopicPartition("in", Int32($0)) }
        for _ in 0..<200 {
            var fast = OffsetAckTracker()
            var reference = OffsetAckTracker()
            for _ in 0..<150 {
                let p = partitions[Int(rng.next() % 3)]
                let base = reference.nextOffset(p) ?? 10
                let offset = base + Int64(rng.next() % 4) - 2  // behind, equal, ahead
                let expected: Bool
                if let next = reference.nextOffset(p), offset < next {
                    expected = false
                } else {
                    reference.beginInput(p, offset: offset)
                    expected = true
                }
                #expect(fast.beginInputIfAhead(p, offset: offset) == expected)
                if rng.next() % 3 == 0 {
                    let tickets = (fast.addOutput(p, offset: offset), reference.addOutput(p, offset: offset))
                    #expect(tickets.0 == tickets.1)
                    if rng.next() % 2 == 0 {
                        fast.acknowledge(tickets.0)
                        reference.acknowledge(tickets.1)
                    }
                }
                for q in partitions {
                    #expect(fast.nextOffset(q) == reference.nextOffset(q))
                    #expect(fast.committableOffset(q) == reference.committableOffset(q))
                }
            }
        }
    }

    @Test func propertyCommittableNeverPassesAnUnacknowledgedInput() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<300 {
            var t = OffsetAckTracker()
            var pending: [OffsetAckTracker.Ticket: (TopicPartition, Int64)] = [:]
            var offsets: [TopicPartition: Int64] = [:]
            let partitions = (0..<3).map { TopicPartition("in", Int32($0)) }
            for _ in 0..<200 {
                let p = partitions[Int(rng.next() % 3)]
                if rng.next() % 3 == 0, !pending.isEmpty {
                    let key = pending.keys.sorted()[Int(rng.next() % UInt64(pending.count))]
                    t.acknowledge(key)
                    pending[key] = nil
                } else {
                    let offset = (offsets[p] ?? -1) + 1 + Int64(rng.next() % 2)  // gaps happen (compaction)
                    offsets[p] = offset
                    t.beginInput(p, offset: offset)
                    for _ in 0..<Int(rng.next() % 3) { pending[t.addOutput(p, offset: offset)] = (p, offset) }
                }
                for p in partitions {
                    guard let committable = t.committableOffset(p) else { continue }
                    let lowestPending = pending.values.filter { $0.0 == p }.map(\.1).min()
                    let expected = lowestPending ?? (offsets[p]! + 1)
                    #expect(committable == expected)
                }
            }
            #expect(t.pendingOutputs == pending.count)
        }
    }
}

/// Deterministic PRNG for property tests.
struct SplitMix64: RandomNumberGenerator {
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
