import Testing
import VigilKafka

@Suite("PartitionRecovery: rebuild a partition's state by replay before going live")
struct PartitionRecoveryTests {
    let day: Int64 = 86_400_000

    @Test func withoutACommittedOffsetThereIsNothingToRebuild() {
        for committed in [nil, Int64(0)] {
            var r = PartitionRecovery(committed: committed, rewind: 10 * day)
            #expect(r.isLive)
            #expect(r.startOffset == nil)
            #expect(r.classify(offset: 0, eventTime: 5, timestamp: 5) == .process)
        }
    }

    @Test func aBoundedRewindProbesTheLastCommittedRecordThenFiltersByEventTime() {
        var r = PartitionRecovery(committed: 100, rewind: 10 * day)
        #expect(r.startOffset == 99, "the probe is the last committed record")
        // The probe: the event time reached decides the cutoff; the message timestamp is later.
        #expect(r.classify(offset: 99, eventTime: 50 * day, timestamp: 51 * day) == .rewind(lookupTime: 40 * day, latest: 99))
        #expect(r.phase == .replaying(until: 100, cutoff: 40 * day, seekPending: true))
        // Prefetched before the seek took effect (same batch): read again later.
        #expect(r.classify(offset: 100, eventTime: 50 * day, timestamp: nil) == .skip)
        r.batchEnded()
        // The broker rewound further than asked: older records are filtered out by event time.
        #expect(r.classify(offset: 0, eventTime: 20 * day, timestamp: nil) == .skip)
        #expect(r.classify(offset: 60, eventTime: 40 * day, timestamp: nil) == .replay)
        #expect(r.classify(offset: 61, eventTime: nil, timestamp: nil) == .skip, "undecodable records were dead-lettered already")
        #expect(!r.isLive)
        #expect(r.classify(offset: 99, eventTime: 50 * day, timestamp: nil) == .replay)
        #expect(r.isLive, "live once the last committed record is applied")
        #expect(r.classify(offset: 100, eventTime: 50 * day, timestamp: nil) == .process)
    }

    @Test func aMessageTimestampEarlierThanTheEventMovesTheLookupBack() {
        var r = PartitionRecovery(committed: 10, rewind: day)
        #expect(r.classify(offset: 9, eventTime: 5 * day, timestamp: 3 * day) == .rewind(lookupTime: 2 * day, latest: 9))
    }

    @Test func anUndecodableProbeReplaysTheWholePartition() {
        var r = PartitionRecovery(committed: 10, rewind: day)
        #expect(r.classify(offset: 9, eventTime: nil, timestamp: 3) == .rewind(lookupTime: nil, latest: 9))
        #expect(r.phase == .replaying(until: 10, cutoff: nil, seekPending: true))
        r.batchEnded()
        #expect(r.classify(offset: 0, eventTime: 1, timestamp: nil) == .replay)
    }

    /// Issue 12, "stuck in rebuild forever" / "live with an empty state": C - 1 holds no record
    /// (compacted, deleted, a transaction marker). On main a bounded rewind went live at once
    /// with an empty state, and `rewind = "all"` skipped every later record forever.
    @Test func aMissingCommittedRecordStillRebuildsWithTheNextRecordAsProbe() {
        var r = PartitionRecovery(committed: 10, rewind: day, low: 0, high: 20)
        #expect(
            r.classify(offset: 15, eventTime: 5 * day, timestamp: nil) == .rewind(lookupTime: 4 * day, latest: 9),
            "the first record after C - 1 tells the event time reached")
        r.batchEnded()
        #expect(r.classify(offset: 3, eventTime: 4 * day + 1, timestamp: nil) == .replay)
        #expect(r.classify(offset: 8, eventTime: 5 * day, timestamp: nil) == .replay)
        #expect(!r.isLive)
        #expect(r.classify(offset: 15, eventTime: 5 * day, timestamp: nil) == .process, "live at the first record at or after C")
        #expect(r.isLive)
    }

    @Test func rewindingEverythingGoesLiveAtTheFirstRecordAtOrAfterC() {
        var r = PartitionRecovery(committed: 10, rewind: nil, low: 0, high: 20)
        for o in Int64(0)..<8 { #expect(r.classify(offset: o, eventTime: o, timestamp: nil) == .replay) }
        // 8 and 9 are a transaction's records aborted / its marker: never delivered.
        #expect(!r.isLive)
        #expect(r.classify(offset: 12, eventTime: 12, timestamp: nil) == .process)
        #expect(r.isLive)
    }

    @Test func reachingTheCommittedPositionGoesLiveWithoutARecordAfterIt() {
        var r = PartitionRecovery(committed: 10, rewind: nil, low: 0, high: 10)
        for o in Int64(0)..<9 { _ = r.classify(offset: o, eventTime: o, timestamp: nil) }
        #expect(!r.isLive, "offset 9 is a transaction marker: no record says the replay is over")
        #expect(r.positionReached(9) == nil)
        #expect(r.positionReached(10) == .process)
        #expect(r.isLive)
    }

    /// CI caught it on the mock cluster: with the committed-offset lookup failing at assignment,
    /// librdkafka's own lookup for the assignment completed after the pipeline's seek to the
    /// start and moved the fetch back to C; the replay saw record C first and went live with an
    /// empty state. A jump past [start, C) with nothing read since the seek is sought once more.
    @Test func aSeekOverriddenToTheCommittedOffsetIsRepeatedOnceNotTakenForTheEnd() {
        var r = PartitionRecovery(committed: 10, rewind: nil, low: 0, high: 20)
        #expect(r.classify(offset: 10, eventTime: 10, timestamp: nil) == .rewind(lookupTime: nil, latest: 9))
        #expect(!r.isLive)
        #expect(r.classify(offset: 11, eventTime: 11, timestamp: nil) == .skip, "fetched before the new seek")
        r.batchEnded()
        for o in Int64(0)..<10 { #expect(r.classify(offset: o, eventTime: o, timestamp: nil) == .replay) }
        #expect(r.isLive)
        #expect(r.classify(offset: 10, eventTime: 10, timestamp: nil) == .process)
    }

    @Test func aBoundedRewindOverriddenIsRepeatedWithTheSameLookup() {
        var r = PartitionRecovery(committed: 100, rewind: 10 * day, low: 0, high: 200)
        #expect(r.classify(offset: 99, eventTime: 50 * day, timestamp: nil) == .rewind(lookupTime: 40 * day, latest: 99))
        r.batchEnded()
        #expect(r.classify(offset: 100, eventTime: 50 * day, timestamp: nil) == .rewind(lookupTime: 40 * day, latest: 99))
        r.batchEnded()
        #expect(r.classify(offset: 80, eventTime: 45 * day, timestamp: nil) == .replay)
    }

    @Test func aPositionPastCWithNothingReadIsSoughtOnceThenBelieved() {
        var r = PartitionRecovery(committed: 10, rewind: nil, low: 0, high: 10)
        #expect(r.positionReached(10) == .rewind(lookupTime: nil, latest: 9), "nothing read since the seek")
        r.batchEnded()
        #expect(r.positionReached(10) == .process, "sought again and still nothing before C: markers only")
        #expect(r.isLive)
    }

    @Test func onlyMarkersBeforeCGoLiveAfterOneRecheck() {
        var r = PartitionRecovery(committed: 10, rewind: nil, low: 0, high: 20)
        #expect(r.classify(offset: 10, eventTime: 10, timestamp: nil) == .rewind(lookupTime: nil, latest: 9))
        r.batchEnded()
        #expect(r.classify(offset: 10, eventTime: 10, timestamp: nil) == .process)
        #expect(r.isLive)
    }

    @Test func aProbeThatFindsNothingRebuildsFromTheStart() {
        var r = PartitionRecovery(committed: 10, rewind: day, low: 0, high: 10)
        #expect(r.probeFoundNothing() == .rewind(lookupTime: nil, latest: 9))
        r.batchEnded()
        #expect(r.classify(offset: 0, eventTime: 1, timestamp: nil) == .replay)
    }

    /// Issue 12, "committed offset beyond the log end": on main [0, C) of the new log was
    /// replayed silently (no alerts, no dead letters, nothing logged).
    @Test func aCommittedOffsetBeyondTheLogEndIsAnAnomalyAndTheLogIsReadLive() {
        var r = PartitionRecovery(committed: 150, rewind: nil, low: 0, high: 101)
        #expect(r.startOffset == 149, "fetch from C - 1 to confirm")
        #expect(r.anomaly == nil, "not before a record confirms it")
        // The fetch was reset to the log's start: confirmed.
        #expect(r.classify(offset: 0, eventTime: 1, timestamp: nil) == .process, "live: its alerts and dead letters are produced")
        #expect(r.anomaly == .committedBeyondEnd(committed: 150, end: 101))
    }

    /// The local test broker answers a high watermark of 1 whatever the log holds: a record at
    /// C - 1 refutes the watermark and recovery proceeds as usual.
    @Test func aMisreportedWatermarkIsRefutedByTheRecordAtCMinusOne() {
        var r = PartitionRecovery(committed: 150, rewind: nil, low: 0, high: 1)
        #expect(r.classify(offset: 149, eventTime: 1, timestamp: nil) == .rewind(lookupTime: nil, latest: 149))
        #expect(r.anomaly == nil)
        r.batchEnded()
        #expect(r.classify(offset: 0, eventTime: 1, timestamp: nil) == .replay)
        var bounded = PartitionRecovery(committed: 150, rewind: day, low: 0, high: 1)
        #expect(bounded.classify(offset: 149, eventTime: 5 * day, timestamp: nil) == .rewind(lookupTime: 4 * day, latest: 149))
        #expect(bounded.anomaly == nil)
    }

    @Test func anEmptyLogBeyondWhichTheGroupCommittedIsConfirmedWhenNothingArrives() {
        var r = PartitionRecovery(committed: 150, rewind: nil, low: 0, high: 0)
        #expect(r.probeFoundNothing() == nil)
        #expect(r.anomaly == .committedBeyondEnd(committed: 150, end: 0))
        #expect(r.isLive)
    }

    @Test func aCommittedOffsetBeforeTheLogStartIsAnAnomaly() {
        let r = PartitionRecovery(committed: 5, rewind: day, low: 40, high: 101)
        #expect(r.anomaly == .committedBeforeStart(committed: 5, start: 40))
        #expect(r.startOffset == 40)
        #expect(r.isLive)
        #expect(PartitionRecovery(committed: 40, rewind: nil, low: 40, high: 101).isLive, "nothing before C to rebuild from")
    }

    @Test func hostileTimestampsDoNotTrap() {
        var r = PartitionRecovery(committed: 10, rewind: 90 * day)
        #expect(r.classify(offset: 9, eventTime: Int64.min + 5, timestamp: Int64.min) == .rewind(lookupTime: Int64.min, latest: 9))
    }

    @Test func rewindingEverythingStartsAtTheBeginningWithoutAProbe() {
        var r = PartitionRecovery(committed: 3, rewind: nil)
        #expect(r.startOffset == KafkaOffset.beginning)
        #expect(r.classify(offset: 0, eventTime: 1, timestamp: nil) == .replay)
        #expect(r.classify(offset: 1, eventTime: 0, timestamp: nil) == .replay, "no cutoff: even old records count")
        #expect(r.classify(offset: 2, eventTime: 2, timestamp: nil) == .replay)
        #expect(r.isLive)
    }

    @Test func abandoningGoesLiveWithoutReplay() {
        var r = PartitionRecovery(committed: 3, rewind: day)
        _ = r.classify(offset: 2, eventTime: day, timestamp: nil)
        r.abandon()
        #expect(r.classify(offset: 3, eventTime: day, timestamp: nil) == .process)
    }

    /// Whatever the broker returns (any start at or before the probe) and whatever stale records
    /// arrive, exactly the records in [start, committed) with event time >= cutoff are replayed,
    /// each once, and live processing starts at the committed offset.
    @Test func replayAppliesExactlyTheRecordsWithinTheRewindProperty() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let committed = Int64(1 + rng.next() % 200)
            let times = (0..<committed + 20).map { _ in Int64(rng.next() % 1000) }
            let rewind = Int64(rng.next() % 600)
            var r = PartitionRecovery(committed: committed, rewind: rewind)
            guard
                case .rewind(let lookup, let latest)? = Optional(
                    r.classify(offset: committed - 1, eventTime: times[Int(committed - 1)], timestamp: nil))
            else {
                Issue.record("the probe must ask for a rewind")
                return
            }
            #expect(latest == committed - 1)
            #expect(lookup == times[Int(committed - 1)] - rewind)
            let cutoff = times[Int(committed - 1)] - rewind
            // Stale prefetched records beyond the probe, then the replay from a start the broker chose.
            for o in committed..<min(committed + 5, Int64(times.count)) {
                #expect(r.classify(offset: o, eventTime: times[Int(o)], timestamp: nil) == .skip)
            }
            r.batchEnded()
            let start = Int64(rng.next() % UInt64(committed))
            var replayed: [Int64] = []
            for o in start..<committed {
                if r.classify(offset: o, eventTime: times[Int(o)], timestamp: nil) == .replay { replayed.append(o) }
            }
            #expect(replayed == (start..<committed).filter { times[Int($0)] >= cutoff })
            #expect(r.isLive)
            #expect(r.classify(offset: committed, eventTime: 0, timestamp: nil) == .process)
        }
    }
}
