import Foundation
import VigilCore
import VigilKafka

/// A partition being rebuilt. `recovery` is nil until the broker calls it needs (committed
/// offset, watermarks) have succeeded; `pendingRewind` is a seek that failed and is retried.
/// Meanwhile the partition is paused and not ready: it never goes live with an empty state
/// because a broker call failed.
struct RecoveryEntry {
    var recovery: PartitionRecovery?
    var began = ContinuousClock.now
    var replayed = 0
    var attempts = 0
    var retryAt: ContinuousClock.Instant?
    var pendingRewind: PartitionRecovery.Action?
    var high: Int64?
    var paused = false
    var anomalyReported = false
    /// When the current probe (or rewind) started, to notice a probe that finds no record.
    var phaseSince = ContinuousClock.now

    /// Back-off for the next broker retry: 0.2 s doubling to 10 s.
    mutating func scheduleRetry() {
        attempts += 1
        retryAt = .now + .milliseconds(min(10_000, 200 << min(attempts, 6)))
    }
}

extension IncidentPipeline {
    /// Applies `record` to its partition's state silently while the partition rebuilds; true when
    /// the partition is live again and the record must be processed normally.
    func rebuild(from record: KafkaRecord, _ tp: TopicPartition) throws -> Bool {
        guard var entry = recoveries[tp] else { return true }
        guard var recovery = entry.recovery, entry.pendingRewind == nil else {
            statistics.replaySkipped += 1  // waiting for a broker call: the record is read again after the seek
            return false
        }
        let decoded = try? config.decoder.decode(record.value).get()
        let action = recovery.classify(offset: record.offset, eventTime: decoded?.eventTime.milliseconds, timestamp: record.timestamp)
        entry.recovery = recovery
        reportAnomalyIfNew(tp, &entry)
        switch action {
        case .process:
            break
        case .replay:
            if let incident = decoded {
                // Still ahead of the clock: it was held, never processed; hold it again (it is
                // processed, with its alerts, once the clock reaches it).
                switch router.hold.admit(incident, message: KafkaMessage(record), clockMs: wallClockMs) {
                case .process:
                    // State only: its score and alerts were given when it was first processed. An
                    // accepted one goes to the public feed (issue 15).
                    if case .accepted? = engines.withValue(forKey: tp, { $0.rebuild(incident) }) { try feedPublic(incident) }
                case .held: statistics.heldAhead += 1
                case .reject: break  // dead-lettered when it was first read
                }
            }
            statistics.replayed += 1
            entry.replayed += 1
        case .skip:
            statistics.replaySkipped += 1
        case .rewind:
            entry.recovery = recovery
            entry.phaseSince = .now
            recoveries[tp] = entry
            performRewind(action, tp)
            return false
        }
        entry.recovery = recovery
        guard recovery.isLive else {
            recoveries[tp] = entry
            return false
        }
        finishRecovery(tp, entry)
        return action == .process
    }

    /// Seeks for a rewind; on failure the partition pauses and the seek is retried with back-off.
    /// `betweenPolls`: the seek happens outside a poll, so no stale record of the old position
    /// is still to be classified and the replay starts with the next poll.
    func performRewind(_ action: PartitionRecovery.Action, _ tp: TopicPartition, betweenPolls: Bool = false) {
        guard case .rewind(let lookupTime, let latest) = action, var entry = recoveries[tp] else { return }
        do {
            var start = KafkaOffset.beginning
            // Negative times are librdkafka's special offsets (-1 end, -2 beginning): a hostile
            // CreateTime near Int64.min rewinds to the beginning instead.
            if let lookupTime, lookupTime >= 0,
                let found = try consumer.offsetsForTimes([tp: lookupTime], timeoutMs: WaitBudget.brokerCallMs)[tp]
            {
                start = found >= 0 ? min(found, latest) : latest
            }
            operations.keepAlive()
            try consumer.seek([tp: start], timeoutMs: WaitBudget.brokerCallMs)
            entry.pendingRewind = nil
            if betweenPolls { entry.recovery?.batchEnded() }
            logger.info(
                "rebuilding partition state",
                metadata: [
                    "kafka.partition": "\(tp)", "kafka.offset.start": "\(start)", "kafka.offset.committed": "\(latest + 1)",
                    "recovery.cutoff": "\(lookupTime.map { Timestamp(milliseconds: $0).description } ?? "none")"
                ])
            if entry.paused {
                try? consumer.resume([tp])
                entry.paused = false
            }
        } catch {
            statistics.recoveryRetries += 1
            entry.pendingRewind = action
            entry.scheduleRetry()
            if !entry.paused {
                try? consumer.pause([tp])
                entry.paused = true
            }
            logger.error(
                "could not rewind to rebuild state; the partition waits (not ready) and the rewind is retried",
                metadata: ["kafka.partition": "\(tp)", "kafka.error": "\(error)", "recovery.attempt": "\(entry.attempts)"])
        }
        operations.keepAlive()
        recoveries[tp] = entry
    }

    /// Once per loop: retries failed broker calls, ends seek windows, notices partitions that
    /// reached their committed position without a record at or after it.
    func advanceRecoveries() throws {
        guard !recoveries.isEmpty else { return }
        let now = ContinuousClock.now
        var positions: [TopicPartition: Int64]?
        for tp in recoveries.keys.sorted() {
            guard var entry = recoveries[tp] else { continue }
            if entry.recovery == nil || entry.pendingRewind != nil {
                if !entry.paused {
                    try? consumer.pause([tp])
                    entry.paused = true
                    recoveries[tp] = entry
                }
                guard entry.retryAt.map({ $0 <= now }) ?? true else { continue }
                if entry.recovery == nil {
                    resolve([tp])
                } else if let rewind = entry.pendingRewind {
                    performRewind(rewind, tp, betweenPolls: true)
                }
                continue
            }
            var recovery = entry.recovery!
            recovery.batchEnded()
            if case .verifying = recovery.phase, now - entry.phaseSince > .seconds(15) {
                _ = recovery.probeFoundNothing()
                entry.recovery = recovery
                reportAnomalyIfNew(tp, &entry)
                finishRecovery(tp, entry)
                continue
            }
            if case .probing = recovery.phase, now - entry.phaseSince > .seconds(15), let rewind = recovery.probeFoundNothing() {
                entry.recovery = recovery
                entry.phaseSince = now
                recoveries[tp] = entry
                logger.warning(
                    "no record at or after the committed offset - 1 to probe; rebuilding from the partition's start",
                    metadata: ["kafka.partition": "\(tp)"])
                performRewind(rewind, tp, betweenPolls: true)
                continue
            }
            if positions == nil { positions = consumer.positions(recoveries.keys.sorted()) }
            if let position = positions?[tp], let action = recovery.positionReached(position) {
                entry.recovery = recovery
                if action == .process {
                    finishRecovery(tp, entry)
                } else {
                    entry.phaseSince = now
                    recoveries[tp] = entry
                    performRewind(action, tp, betweenPolls: true)
                }
                continue
            }
            entry.recovery = recovery
            recoveries[tp] = entry
        }
    }

    /// Reads committed offsets and watermarks for newly assigned `partitions` and decides how
    /// each rebuilds. A failed call leaves the partition unresolved (paused, not ready) and is
    /// retried by `advanceRecoveries`; nothing goes live with an empty state silently.
    func resolve(_ partitions: [TopicPartition]) {
        let depth = config.recovery.depth(for: config.engine)
        let committed: [TopicPartition: Int64]
        do {
            committed = try consumer.committed(partitions, timeoutMs: WaitBudget.brokerCallMs)
        } catch {
            statistics.recoveryRetries += 1
            for tp in partitions {
                var entry = recoveries[tp] ?? RecoveryEntry()
                entry.scheduleRetry()
                recoveries[tp] = entry
            }
            logger.error(
                "could not read committed offsets; the partitions wait (not ready) and the call is retried",
                metadata: ["kafka.partitions": "\(partitions)", "kafka.error": "\(error)"])
            return
        }
        operations.keepAlive()
        for tp in partitions {
            var entry = recoveries[tp] ?? RecoveryEntry()
            let c = committed[tp].flatMap { $0 >= 0 ? $0 : nil }
            var low: Int64?
            var high: Int64?
            if c != nil {
                do {
                    (low, high) = try consumer.queryWatermarks(tp, timeoutMs: WaitBudget.brokerCallMs)
                } catch {
                    statistics.recoveryRetries += 1
                    entry.scheduleRetry()
                    recoveries[tp] = entry
                    logger.error(
                        "could not read the partition's watermarks; it waits (not ready) and the call is retried",
                        metadata: ["kafka.partition": "\(tp)", "kafka.error": "\(error)", "recovery.attempt": "\(entry.attempts)"])
                    continue
                }
                operations.keepAlive()
            }
            let recovery = PartitionRecovery(committed: c, rewind: depth, low: low, high: high)
            entry.recovery = recovery
            entry.high = high
            entry.phaseSince = .now
            reportAnomalyIfNew(tp, &entry)
            // Unpaused partitions were assigned at these offsets already; a retried one seeks.
            let start = recovery.startOffset ?? c
            if entry.paused {
                do {
                    try consumer.seek([tp: start ?? KafkaOffset.beginning], timeoutMs: WaitBudget.brokerCallMs)
                    try consumer.resume([tp])
                    entry.paused = false
                    operations.keepAlive()
                } catch {
                    statistics.recoveryRetries += 1
                    entry.recovery = nil
                    entry.scheduleRetry()
                    recoveries[tp] = entry
                    logger.error(
                        "could not seek a resolved partition; retrying", metadata: ["kafka.partition": "\(tp)", "kafka.error": "\(error)"])
                    continue
                }
            }
            entry.attempts = 0
            entry.retryAt = nil
            if recovery.isLive {
                recoveries[tp] = nil
            } else {
                recoveries[tp] = entry
            }
            pendingStarts[tp] = recovery.startOffset
        }
    }

    /// Says loudly, once, that the committed offset was found outside the log.
    func reportAnomalyIfNew(_ tp: TopicPartition, _ entry: inout RecoveryEntry) {
        guard !entry.anomalyReported, let anomaly = entry.recovery?.anomaly else { return }
        entry.anomalyReported = true
        statistics.recoveryAnomalies[anomaly.kind, default: 0] += 1
        operations.recoveryProblems[tp] = "\(tp): \(anomaly)"
        logger.critical(
            "committed offset outside the log; not absorbed silently",
            metadata: [
                "kafka.partition": "\(tp)", "recovery.anomaly": "\(anomaly.kind)", "recovery.detail": "\(anomaly)",
                "kafka.offset.high_at_assignment": "\(entry.high ?? -1)"
            ])
    }

    private func finishRecovery(_ tp: TopicPartition, _ entry: RecoveryEntry) {
        recoveries[tp] = nil
        statistics.rebuilds += 1
        let elapsed = ContinuousClock.now - entry.began
        let seconds = elapsed.seconds
        logger.info(
            "partition state rebuilt; live from the committed offset",
            metadata: [
                "kafka.partition": "\(tp)", "recovery.replayed": "\(entry.replayed)",
                "recovery.seconds": "\(String(format: "%.3f", seconds))",
                "state.keys": "\(engines[tp]?.statistics.keys ?? 0)"
            ])
    }

    /// Tells readiness which partitions rebuild or wait for the broker.
    func publishRecoveryState() {
        if operations.rebuilding.count != recoveries.count || !recoveries.keys.allSatisfy(operations.rebuilding.contains) {
            operations.rebuilding = Set(recoveries.keys)
        }
    }

    /// Partitions assigned but still rebuilding their state (not ready to serve).
    var rebuildingPartitions: [TopicPartition] { recoveries.keys.sorted() }
}
