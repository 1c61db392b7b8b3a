import Foundation
import VigilCore
import VigilKafka

extension IncidentPipeline {
    /// Applies `record` to its partition's state silently while the partition rebuilds; true when
    /// the partition is live again and the record must be processed normally.
    func rebuild(from record: KafkaRecord, _ tp: TopicPartition) throws -> Bool {
        guard var entry = recoveries[tp] else { return true }
        // What the live path dead-letters (undecodable, far-future) was never part of the state.
        let incident = (try? config.decoder.decode(record.value).get()).flatMap { isFarFuture($0) ? nil : $0 }
        let action = entry.recovery.classify(offset: record.offset, eventTime: incident?.eventTime.milliseconds, timestamp: record.timestamp)
        switch action {
        case .process:
            break
        case .replay:
            if let incident, case .accepted? = engines[tp]?.process(incident) {
                try feedPublic(incident)  // issue 15: public feed
            }
            statistics.replayed += 1
            entry.replayed += 1
        case .skip:
            statistics.replaySkipped += 1
        case .rewind(let lookupTime, let latest):
            do {
                var start = KafkaOffset.beginning
                if let lookupTime, let found = try consumer.offsetsForTimes([tp: lookupTime])[tp] {
                    start = found >= 0 ? min(found, latest) : latest
                }
                try consumer.seek([tp: start])
                logger.info("rebuilding partition state", metadata: [
                    "kafka.partition": "\(tp)", "kafka.offset.start": "\(start)", "kafka.offset.committed": "\(latest + 1)",
                    "recovery.cutoff": "\(lookupTime.map { Timestamp(milliseconds: $0).description } ?? "none")"])
            } catch {
                entry.recovery.abandon()
                logger.error("could not rewind to rebuild state; continuing at the committed offset with partial state",
                             metadata: ["kafka.partition": "\(tp)", "kafka.error": "\(error)"])
            }
        }
        guard entry.recovery.isLive else {
            recoveries[tp] = entry
            return false
        }
        recoveries[tp] = nil
        statistics.rebuilds += 1
        let elapsed = ContinuousClock.now - entry.began
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        logger.info("partition state rebuilt; live from the committed offset", metadata: [
            "kafka.partition": "\(tp)", "recovery.replayed": "\(entry.replayed)", "recovery.seconds": "\(String(format: "%.3f", seconds))",
            "state.keys": "\(engines[tp]?.statistics.keys ?? 0)"])
        return action == .process
    }

    /// Partitions assigned but still rebuilding their state (not ready to serve).
    var rebuildingPartitions: [TopicPartition] { recoveries.keys.sorted() }
}
