import Testing
import VigilKafka

@testable import VigilService

/// How a stage takes up an assigned partition from its committed offset and the log's watermarks
/// (`RebuildPlan`), without a broker: rebuild as before when the offset is inside the log, a
/// committed offset beyond the end checked before anything is applied (brokers misreport the end),
/// and one before the log's start read live with a warning.
@Suite struct RebuildPlanTests {
    @Test func nothingCommittedIsReadLiveFromTheStart() {
        for committed: Int64? in [nil, 0, KafkaOffset.invalid, KafkaOffset.beginning] {
            let plan = RebuildPlan(committed: committed, low: 0, high: 20)
            #expect(plan == .live, "\(String(describing: committed))")
            #expect(plan.start == KafkaOffset.beginning && plan.silentUntil == nil)
        }
    }

    @Test func aCommittedOffsetInsideTheLogIsRebuiltSilentlyUpToIt() {
        for (committed, low, high) in [(20, 0, 25), (20, 0, 20), (1, 0, 1), (5, 5, 9)] as [(Int64, Int64, Int64)] {
            let plan = RebuildPlan(committed: committed, low: low, high: high)
            #expect(plan == .rebuild(until: committed), "C \(committed) in [\(low), \(high)]")
            #expect(plan.start == KafkaOffset.beginning && plan.silentUntil == committed)
        }
    }

    /// Watermarks that could not be read (or a broker's -1) say nothing: the committed offset is
    /// trusted as before.
    @Test func unknownWatermarksKeepTheRebuild() {
        #expect(RebuildPlan(committed: 20, low: nil, high: nil) == .rebuild(until: 20))
        #expect(RebuildPlan(committed: 20, low: -1, high: -1) == .rebuild(until: 20))
    }

    /// C beyond the high watermark is only a question: fetch from C - 1 first, apply nothing silently.
    @Test func aCommittedOffsetBeyondTheReportedEndIsVerifiedFromJustBeforeIt() {
        let plan = RebuildPlan(committed: 50, low: 0, high: 20)
        #expect(plan == .verifyBeyondEnd(committed: 50, end: 20))
        #expect(plan.start == 49 && plan.silentUntil == nil)
        #expect(RebuildPlan(committed: 3, low: 0, high: 0) == .verifyBeyondEnd(committed: 3, end: 0), "an empty log")
    }

    /// The fetch from C - 1 was reset to the log's start (auto.offset.reset = earliest): confirmed.
    /// The record at C - 1 or after exists: the watermark was wrong (the local test broker answers
    /// the base offset of its last batch plus one: 11 for a log of 25 written in batches of 10 and 15).
    @Test func theFirstRecordReadConfirmsOrRefutesTheEnd() {
        #expect(RebuildPlan(committed: 20, low: 0, high: 11) == .verifyBeyondEnd(committed: 20, end: 11))
        #expect(!RebuildPlan.confirmsBeyondEnd(committed: 20, firstOffset: 19), "the record at C - 1 is there")
        #expect(!RebuildPlan.confirmsBeyondEnd(committed: 20, firstOffset: 20), "C - 1 compacted away, C there")
        #expect(RebuildPlan.confirmsBeyondEnd(committed: 20, firstOffset: 0), "reset to the start")
        #expect(RebuildPlan.confirmsBeyondEnd(committed: 20, firstOffset: 18), "reset to a start just before C - 1")
    }

    @Test func aCommittedOffsetBeforeTheLogStartIsReadLiveWithAWarning() {
        let plan = RebuildPlan(committed: 5, low: 12, high: 40)
        #expect(plan == .committedBeforeStart(committed: 5, start: 12))
        #expect(plan.start == KafkaOffset.beginning && plan.silentUntil == nil, "every record there is past C: all live")
    }

    @Test func theFailureNamesThePartitionTheOffsetsAndTheFix() {
        let failure = RebuildPlan.beyondEndFailure(
            stage: "lifecycle", group: "vigil.lifecycle", tp: TopicPartition("vigil.findings", 0), committed: 812, end: 40,
            firstOffset: 0)
        for part in [
            "stage lifecycle", "group 'vigil.lifecycle'", "committed offset 812 on vigil.findings partition 0", "the end at 40",
            "reset to offset 0", "publish nothing",
            "kafka-consumer-groups --bootstrap-server <brokers> --group vigil.lifecycle --topic vigil.findings --reset-offsets --to-earliest --execute",
            "--delete --group vigil.lifecycle"
        ] {
            #expect(failure.description.contains(part), "'\(part)' in: \(failure.description)")
        }
    }
}
