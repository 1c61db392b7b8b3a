import VigilCore
import VigilKafka

/// Partitions move: assigned ones start rebuilding their state, revoked ones finish what they
/// caused (drain, commit) and drop their state before the group gives them away.
extension IncidentPipeline: KafkaRebalanceListener {
    func consumer(_ consumer: KafkaConsumer, willAssign partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        var committed: [TopicPartition: Int64] = [:]
        do {
            committed = try consumer.committed(partitions)
        } catch {
            logger.error("could not read committed offsets; assigned partitions start without rebuilt state",
                         metadata: ["kafka.partitions": "\(partitions)", "kafka.error": "\(error)"])
        }
        let depth = config.recovery.depth(for: config.engine)
        var starts: [TopicPartition: Int64] = [:]
        for tp in partitions {
            tracker.drop(tp)
            engines[tp] = IncidentEngine(configuration: config.engine)
            let recovery = PartitionRecovery(committed: committed[tp].flatMap { $0 >= 0 ? $0 : nil }, rewind: depth)
            guard let start = recovery.startOffset else {
                recoveries[tp] = nil
                continue
            }
            starts[tp] = start
            recoveries[tp] = (recovery, .now, 0)
        }
        return starts
    }

    func consumer(_ consumer: KafkaConsumer, willRevoke partitions: [TopicPartition], lost: Bool) {
        if !lost {
            // Finish what these partitions caused and commit it while we still own them.
            let drained = (try? drain(partitions, timeoutMs: config.pipeline.shutdownTimeoutMs)) ?? false
            if !drained { logger.warning("revoking with unacknowledged outputs; the next owner replays them", metadata: ["kafka.partitions": "\(partitions)"]) }
            try? storeCommittable()
            do { try consumer.commit() } catch { logger.warning("commit on revoke failed", metadata: ["kafka.error": "\(error)"]) }
        }
        for tp in partitions {
            engines[tp] = nil
            recoveries[tp] = nil
            tracker.drop(tp)
        }
        for ticket in Array(inFlight.keys) where !tracker.isPending(ticket) {
            inFlight[ticket] = nil
            attempts[ticket] = nil
        }
    }
}
