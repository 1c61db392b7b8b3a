import VigilCore
import VigilKafka

/// A step of a planned batch, applied on the loop thread after the engines ran. It holds the
/// borrowed record, valid until the poll that read it returns (the plan runs before that).
enum PlannedStep {
    /// An incident whose engine result is sent as the serial path sends it.
    case process(KafkaRecord)
    /// A dead letter, sent in its place among the batch's outputs. Boxed (`indirect`): dead
    /// letters are rare, and unboxed this payload made every step's copy a multi-field copy
    /// (callgrind: ~260 instructions a copy, three copies a step).
    indirect case deadLetter(OutgoingMessage, reason: String, detail: String, KafkaRecord)
}

/// A poll batch's engines on several cores (`pipeline.worker_threads` > 1): fork–join.
///
/// The loop thread routes each record as it is read (`RecordRouter`, so offsets, re-reads, holds
/// and dead letters are decided in order exactly as before) and plans it (`BatchPlan`). At the
/// batch's end, or before a recovering partition's record needs the engines, each partition's
/// engine runs over its incidents in order on a worker thread (`PartitionWorkers`); after the
/// join, this thread sends every output in the order the records were read. So the messages,
/// their order and the offsets stored are those of the serial path; only the engines' CPU time
/// is spread. Rebalances, recovery, held releases, reloads and the page's readers run between
/// batches, when every engine is back in `engines`.
extension IncidentPipeline {
    /// Runs the planned engines in parallel, then applies every step in arrival order.
    func runPlan() throws {
        guard let workers, !plan.isEmpty else { return }
        // The batch is worked on as a local value (swapped back, emptied, at the end, keeping its
        // storage): its steps are then read in place rather than copied out of a class property.
        var batch = BatchPlan<PlannedStep>()
        swap(&batch, &plan)
        defer {
            batch.removeAll()
            swap(&batch, &plan)
        }
        let keepsScore = config.topics.scored != nil
        var jobs: [PartitionWorkers.Job] = []
        jobs.reserveCapacity(batch.lanes.count)
        for lane in batch.lanes {
            // Moved out of the dictionary: the worker's copy is the only one, so nothing is copied.
            let engine = engines.removeValue(forKey: lane.partition) ?? IncidentEngine(configuration: config.engine)
            jobs.append(PartitionWorkers.Job(engine: engine, incidents: lane.incidents, keepsScore: keepsScore))
        }
        var results: [[EngineResult]] = []
        results.reserveCapacity(batch.lanes.count)
        for (lane, job) in zip(batch.lanes, workers.run(consume jobs)) {
            engines[lane.partition] = job.engine
            results.append(job.results)
        }
        for i in batch.steps.indices {
            switch batch.steps[i].step {
            case .process(let record):
                guard let position = batch.steps[i].position else { continue }
                try apply(
                    results[position.lane][position.index], of: batch.lanes[position.lane].incidents[position.index], source: nil,
                    record: record, tp: record.topicPartition, offset: record.offset)
            case .deadLetter(let deadLetter, let reason, let detail, let record):
                try sendDeadLetter(deadLetter, reason: reason, detail: detail, record: record)
            }
        }
    }
}
