import VigilCore
import VigilKafka

/// Partitions move: assigned ones start rebuilding their state, revoked ones finish what they
/// caused (drain, commit) and drop their state before the group gives them away.
extension IncidentPipeline: KafkaRebalanceListener {
    func consumer(_ consumer: KafkaConsumer, willAssign partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        settleForRebalance()
        for tp in partitions {
            perform(revoking: [tp])
            engines[tp] = IncidentEngine(configuration: config.engine)
            recoveries[tp] = RecoveryEntry()
        }
        pendingStarts = [:]
        resolve(partitions)
        var starts: [TopicPartition: Int64] = [:]
        for tp in partitions { if let start = pendingStarts[tp] ?? nil { starts[tp] = start } }
        pendingStarts = [:]
        return starts
    }

    func consumer(_ consumer: KafkaConsumer, willRevoke partitions: [TopicPartition], lost: Bool) {
        settleForRebalance()
        if !lost {
            // Finish what these partitions caused and commit it while we still own them, within
            // the shutdown budget when stopping (the watchdog is fed while waiting).
            let drained = (try? drain(partitions, timeoutMs: config.pipeline.shutdownTimeoutMs / 2)) ?? false
            if !drained {
                logger.warning(
                    "revoking with unacknowledged outputs; the next owner replays them", metadata: ["kafka.partitions": "\(partitions)"])
            }
            storeCommittable()
            do { try consumer.commit() } catch { logger.warning("commit on revoke failed", metadata: ["kafka.error": "\(error)"]) }
        }
        for tp in partitions {
            engines[tp] = nil
            recoveries[tp] = nil
        }
        perform(revoking: partitions)
    }

    /// Brings the running batch's engines home and sends its outputs before partitions move (the
    /// callbacks run inside a poll, before its records). A failure to send is fatal: it is kept
    /// for the loop to throw once the poll returns, and meanwhile the batch keeps its commit holds,
    /// so the commit on revoke stays below its inputs (they are read again).
    private func settleForRebalance() {
        do { try settle() } catch {
            logger.error("finishing the running batch before a rebalance failed", metadata: ["error": "\(error)"])
            if rebalanceFailure == nil { rebalanceFailure = error }
        }
    }

    /// Forgets everything in flight for `partitions` (their next owner replays their inputs).
    private func perform(revoking partitions: [TopicPartition]) {
        for tp in partitions { router.hold.drop(tp) }
        do { try perform(delivery.revoke(partitions)) } catch {
            logger.error("resuming fetch after a revoke failed", metadata: ["error": "\(error)"])
        }
    }
}
