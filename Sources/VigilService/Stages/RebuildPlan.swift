import VigilKafka

/// How a stage takes up a partition it was assigned, decided from the group's committed offset *C*
/// and the log's start (low watermark) and end (high watermark) read at assignment. A value with
/// no I/O: `StageLoop` performs it.
///
/// A stage rebuilds by re-reading the partition from its start and applying every record before
/// *C* silently. That is right only while *C* is inside the log. When the topic was deleted and
/// recreated, or truncated, while the group's offsets survived, *C* is beyond the end: the new log
/// would be applied silently up to *C* and nothing published from it, without a word. So a
/// committed offset beyond the end stops the stage with the fix. Brokers misreport the high
/// watermark (the local test broker answers the base offset of its last batch plus one), so the
/// watermark only raises the question: the partition is fetched from *C − 1* first, and the first
/// record read answers it (at *C − 1* or after: the watermark was wrong, rebuild as usual; before:
/// the fetch was reset to the log's start, so the log really ends before *C*).
enum RebuildPlan: Sendable, Equatable {
    /// Nothing committed: read from the start, every record live.
    case live
    /// Read from the start; records before `until` (*C*) are applied silently.
    case rebuild(until: Int64)
    /// *C* is before the log start: records `committed..<start` were deleted unread (retention),
    /// and the state they and everything before built is gone. Read from the start, live (every
    /// record there is past *C*), and say so.
    case committedBeforeStart(committed: Int64, start: Int64)
    /// The high watermark `end` says *C* is beyond the log end: fetch from *C − 1* and let the first
    /// record confirm it (`confirmsBeyondEnd`) before anything is applied.
    case verifyBeyondEnd(committed: Int64, end: Int64)

    /// - Parameters:
    ///   - committed: the group's committed offset (next to read); nil or not positive when none.
    ///   - low, high: the log's watermarks; nil (or negative) when unknown, and then *C* is trusted.
    init(committed: Int64?, low: Int64?, high: Int64?) {
        guard let committed, committed > 0 else {
            self = .live
            return
        }
        if let high, high >= 0, committed > high {
            self = .verifyBeyondEnd(committed: committed, end: high)
        } else if let low, low >= 0, committed < low {
            self = .committedBeforeStart(committed: committed, start: low)
        } else {
            self = .rebuild(until: committed)
        }
    }

    /// Where fetching starts.
    var start: Int64 {
        if case .verifyBeyondEnd(let committed, _) = self { return committed - 1 }
        return KafkaOffset.beginning
    }

    /// Records before this offset are applied silently; nil: none (or not decided yet).
    var silentUntil: Int64? {
        if case .rebuild(let until) = self { return until }
        return nil
    }

    /// The first record read of a partition fetched from *C − 1* (`verifyBeyondEnd`) is at
    /// `offset`: true when that confirms *C* is beyond the log end (the fetch was reset to the
    /// log's start), false when the record at *C − 1* or after exists (the watermark was wrong).
    static func confirmsBeyondEnd(committed: Int64, firstOffset offset: Int64) -> Bool {
        offset < committed - 1
    }

    /// Why the stage stops when *C* is confirmed beyond the end, naming the fix.
    static func beyondEndFailure(
        stage: String, group: String, tp: TopicPartition, committed: Int64, end: Int64, firstOffset: Int64
    ) -> StageFailure {
        StageFailure(
            description:
                "stage \(stage): group '\(group)' has committed offset \(committed) on \(tp.topic) partition \(tp.partition), beyond the log's end (the broker reports the end at \(end); a fetch from \(committed - 1) was reset to offset \(firstOffset)): the topic was deleted and recreated, or truncated, while the group's offsets survived. Rebuilding would apply the new log silently up to offset \(committed) and publish nothing from it, so the stage stops. Fix: stop every instance, then reset the group's offsets to the log's start (kafka-consumer-groups --bootstrap-server <brokers> --group \(group) --topic \(tp.topic) --reset-offsets --to-earliest --execute) or delete the group (kafka-consumer-groups --bootstrap-server <brokers> --delete --group \(group)), and start again: the stage then reads the new log from its start and publishes it"
        )
    }
}
