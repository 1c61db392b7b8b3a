import VigilCore
import VigilKafka

/// A step of a planned batch, applied on the loop thread after the engines ran. It holds the
/// borrowed record, valid until its batch is applied (the poll that read it returns, or the
/// batch's kept messages are released).
enum PlannedStep {
    /// An incident whose engine result is sent as the serial path sends it.
    case process(KafkaRecord)
    /// A dead letter, sent in its place among the batch's outputs. Boxed (`indirect`): dead
    /// letters are rare, and unboxed this payload made every step's copy a multi-field copy
    /// (callgrind: ~260 instructions a copy, three copies a step).
    indirect case deadLetter(OutgoingMessage, reason: String, detail: String, KafkaRecord)
}

/// A planned batch whose engines run on the helper threads while the loop reads the next poll.
struct InFlightBatch {
    let id: PartitionWorkers.BatchID
    var plan: BatchPlan<PlannedStep>
    /// Its poll's messages, alive until the batch is applied (its steps read their records); nil
    /// for a batch applied before its poll returns.
    let messages: KeptMessages?
    /// When its first message was handed to Vigil (`vigil_batch_processing_seconds` ends when it is applied).
    let arrived: ContinuousClock.Instant?
    /// One commit hold per partition, at its first input in the batch (`holdCommits`).
    var holds: [DeliveryStateMachine.Ticket] = []
    var held = false
}

/// A poll batch's engines on several cores (`pipeline.worker_threads` > 1), pipelined; with one
/// thread, run on the loop's at the poll's end.
///
/// The loop thread routes each record as it is read (`RecordRouter`, so offsets, re-reads, holds
/// and dead letters are decided in order exactly as before) and plans it (`BatchPlan`). At the
/// batch's end its partitions' jobs are submitted to the workers (`PartitionWorkers`), and the
/// loop goes on: it sends the previous batch's outputs, then reads and plans the next poll while
/// the helpers run. At the next batch's end it submits that one, completes the previous one
/// (running jobs itself until it is done) and sends its outputs in the order its records were
/// read. So the loop's own work (polling, decoding, routing, sending) overlaps the engines, and
/// a helper that finishes early starts the next batch instead of waiting at a batch boundary.
/// The messages, their order and the offsets stored are still those of the serial path.
///
/// What keeps that exact:
/// - a partition's jobs run one at a time in batch order (`PartitionWorkers`), so each engine
///   sees its partition's incidents in order;
/// - a running batch's poll messages are kept alive (`KafkaConsumer.keepBatch`) until it is applied;
/// - its inputs hold their partitions' commits (`DeliveryStateMachine.holdCommit`) from the end
///   of its poll until its outputs are tracked, so no offset is stored past an input whose outputs
///   do not exist yet;
/// - anything that reads or changes the engines (rebalances, recovery, held releases, reloads,
///   the page's readers, the progress line, stopping) first brings them home (`settle`); a poll
///   that returns nothing does too, so a quiet stream's last batch is not left waiting;
/// - the public feed reads the engines' lowest watermark as of the applied batch's end
///   (`appliedWatermarks`), as the fork–join path read it after the join.
extension IncidentPipeline {
    /// The end of a poll's records (`afterRecords`): submits this poll's batch, completes the one
    /// before and sends its outputs, then holds this batch's commits.
    func runPlan() throws {
        // With one thread nothing runs beside the loop, so the batch is completed now, inside its
        // poll (its records are still valid): one poll of latency less than waiting for the next.
        let pipelined = workers.threads > 1
        if !plan.isEmpty {
            var batch = BatchPlan<PlannedStep>()
            swap(&batch, &spareBatch)
            swap(&batch, &plan)
            let id = submit(&batch)
            inFlight.append(
                InFlightBatch(
                    id: id, plan: batch, messages: pipelined ? consumer.keepBatch() : nil, arrived: operations.takeBatchStart()))
        }
        while inFlight.count > (pipelined ? 1 : 0) { try applyOldest() }
        holdCommits()  // after every earlier batch's outputs are tracked
    }

    /// Brings every engine home: the running batches are completed and applied, and a batch
    /// being read (only inside a poll, where its records are valid) is run and applied at once.
    func settle() throws {
        if !plan.isEmpty {
            var batch = BatchPlan<PlannedStep>()
            swap(&batch, &spareBatch)
            swap(&batch, &plan)
            let id = submit(&batch)
            inFlight.append(InFlightBatch(id: id, plan: batch, messages: nil, arrived: nil))
        }
        while !inFlight.isEmpty { try applyOldest() }
        guard !checkedOut.isEmpty else { return }
        for (tp, engine) in workers.reclaim() { engines[tp] = engine }
        checkedOut = []
        appliedWatermarks = [:]
    }

    /// After a fatal error: waits for the running batches, takes their engines back and forgets
    /// their partitions' outputs (and those of a batch half read), so nothing of them is
    /// committed (their inputs are read again), and frees their messages before the consumer closes.
    func discardInFlight() {
        var partitions = plan.firstInputs.map(\.partition)
        for batch in inFlight {
            _ = workers.complete(batch.id)
            partitions += batch.plan.firstInputs.map(\.partition)
            batch.messages?.release()
        }
        inFlight = []
        plan.removeAll()  // its records' messages are gone with the failed poll: never applied
        _ = delivery.revoke(partitions)
        if !checkedOut.isEmpty {
            for (tp, engine) in workers.reclaim() { engines[tp] = engine }
            checkedOut = []
        }
    }

    /// Whether `tp`'s engine belongs to this consumer (home, or with the workers).
    func ownsEngine(of tp: TopicPartition) -> Bool {
        engines[tp] != nil || checkedOut.contains(tp)
    }

    // MARK: - Steps

    /// Submits one job per lane, each owning its lane's incidents (moved out of the plan; the job
    /// hands them back with its results); engines not yet with the workers move there from `engines`.
    private func submit(_ batch: inout BatchPlan<PlannedStep>) -> PartitionWorkers.BatchID {
        let keepsScore = config.topics.scored != nil
        var jobs: [PartitionWorkers.Job] = []
        jobs.reserveCapacity(batch.lanes.count)
        for (lane, incidents) in zip(batch.lanes, batch.takeIncidents()) {
            jobs.append(PartitionWorkers.Job(partition: lane.partition, incidents: incidents, keepsScore: keepsScore))
        }
        return workers.submit(consume jobs) { tp in
            // Moved out of the dictionary: the workers' copy is the only one, so nothing is copied.
            let engine = engines.removeValue(forKey: tp) ?? IncidentEngine(configuration: config.engine)
            checkedOut.insert(tp)
            appliedWatermarks[tp] = engine.watermark.current
            return engine
        }
    }

    /// Completes the oldest running batch and sends its outputs in arrival order.
    private func applyOldest() throws {
        var batch = inFlight.removeFirst()
        var jobs = workers.complete(batch.id)
        for job in jobs { appliedWatermarks[job.partition] = job.watermark }
        let watermark = publicFeed != nil ? publicWatermark() : nil
        do {
            for i in batch.plan.steps.indices {
                switch batch.plan.steps[i].step {
                case .process(let record):
                    guard let position = batch.plan.steps[i].position else { continue }
                    try jobs[position.lane].withOutcome(position.index) { incident, result in
                        try apply(
                            result, of: incident, source: nil, record: record, tp: record.topicPartition, offset: record.offset,
                            publicWatermark: watermark)
                    }
                case .deadLetter(let deadLetter, let reason, let detail, let record):
                    try sendDeadLetter(deadLetter, reason: reason, detail: detail, record: record)
                }
            }
        } catch {
            inFlight.insert(batch, at: 0)  // discarded with the rest (fatal)
            throw error
        }
        for ticket in batch.holds { delivery.releaseHold(ticket) }
        batch.holds = []
        if let arrived = batch.arrived { operations.batchDone(since: arrived) }
        batch.messages?.release()
        for i in jobs.indices { batch.plan.recycle(jobs[i].takeIncidents()) }
        batch.plan.removeAll()
        swap(&batch.plan, &spareBatch)
    }

    /// Holds each partition's commit at its first input in the running batch that has none yet.
    private func holdCommits() {
        for i in inFlight.indices where !inFlight[i].held {
            inFlight[i].held = true
            for (tp, offset) in inFlight[i].plan.firstInputs {
                inFlight[i].holds.append(delivery.holdCommit(tp, offset: offset))
            }
        }
    }

    /// The lowest watermark over this consumer's engines as of the last applied batch: live for
    /// those at home, as of their last applied job for those with the workers.
    private func publicWatermark() -> Timestamp? {
        var lowest = lowestWatermark()
        for case (_, let w?) in appliedWatermarks where lowest == nil || w < lowest! { lowest = w }
        return lowest
    }
}
