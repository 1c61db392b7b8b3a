import Foundation
import VigilCore
import VigilKafka

/// What a partition's engine decided for one incident, with what the outputs read from the
/// engine right after it (the serial path reads `lastScore` and `risk` at that moment too).
struct EngineResult: Sendable {
    var decision: EngineDecision
    /// The engine's `lastScore` and `risk` after this incident; nil unless the scored topic is on.
    var score: Double?
    var risk: RiskScorer?
}

/// Runs partitions' engines on the pipeline's helper threads (`pipeline.worker_threads` − 1 of
/// them), batch after batch, without stopping between batches. With one thread there are no
/// helpers: the loop thread runs every job itself when it completes a batch, so a poll's
/// incidents still reach their engines as one batch each (scored eight at a time).
///
/// Partitions are independent state owners, so their engines need no lock: a batch is one `Job`
/// per partition (its incidents in order), and a partition's jobs run one at a time, in the order
/// their batches were submitted, on whichever thread is free. Engines handed in (`submit`) stay
/// here, parked between jobs, until `reclaim` gives them back; the one running a job belongs to
/// that thread alone. So the helpers can start a new batch's partitions while the previous batch
/// still finishes on another, and the loop thread, between its own work, runs jobs too
/// (`complete`): no core waits at a batch boundary while another has work. The threads are the
/// pipeline's own (`WorkerPool`: started here, joined by `shutdown`). No Kafka call happens here.
///
/// The lock is a pthread mutex and condition (`NSCondition`), not the standard library's `Mutex`:
/// ThreadSanitizer sees pthread locks, so a TSan build checks the hand-offs.
final class PartitionWorkers {
    /// One partition's incidents of one batch, and what its engine decided for them.
    struct Job: Sendable {
        let partition: TopicPartition
        /// Owned by the job alone (moved out of its batch's plan), so the engine reads each in place.
        private(set) var incidents: [Incident]
        /// Whether to keep `lastScore` and `risk` with each result (the scored topic is on).
        let keepsScore: Bool
        private(set) var results: [EngineResult] = []
        /// The engine's watermark after this job (the public feed reads it, see `IncidentPipeline+Parallel`).
        private(set) var watermark: Timestamp?

        init(partition: TopicPartition, incidents: [Incident], keepsScore: Bool) {
            self.partition = partition
            self.incidents = incidents
            self.keepsScore = keepsScore
        }

        /// Moves the incidents out (the batch's plan keeps the emptied array for a later batch).
        mutating func takeIncidents() -> [Incident] {
            var taken: [Incident] = []
            swap(&taken, &incidents)
            return taken
        }

        /// Lends incident `index` and its result to `body` in place. Read as array elements and
        /// passed on, both were copied for the call: a retain and a release of the incident's
        /// strings and of the result's alerts, per message on the loop's thread.
        mutating func withOutcome<R>(_ index: Int, _ body: (inout Incident, inout EngineResult) throws -> R) rethrows -> R {
            try body(&incidents[index], &results[index])
        }

        /// Processes every incident in order on `engine`, as the serial path would.
        mutating func run(on engine: inout IncidentEngine) {
            results.reserveCapacity(incidents.count)
            let risk = keepsScore ? engine.risk : nil  // a model is swapped only between batches
            var results = self.results
            self.results = []
            engine.process(batch: &incidents) { _, decision, score in
                results.append(EngineResult(decision: decision, score: keepsScore ? score : nil, risk: risk))
            }
            self.results = results
            watermark = engine.watermark.current
        }
    }

    /// Names a submitted batch.
    typealias BatchID = UInt64

    /// A job taken to run: where it goes back, and the engine it runs on.
    private struct Taken {
        let batch: BatchID
        let index: Int
        var job: Job
        var engine: IncidentEngine
    }

    /// Everything the threads share, under `condition`'s lock.
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        /// Engines handed in and not running a job now.
        var parked: [TopicPartition: IncidentEngine] = [:]
        /// Partitions whose engine is running a job now.
        var running: Set<TopicPartition> = []
        /// Jobs not yet begun, in submission order: (batch, index in the batch).
        var queue: [(batch: BatchID, index: Int)] = []
        /// Submitted batches not yet completed: their jobs (nil while one runs) and how many remain.
        var batches: [BatchID: (jobs: [Job?], remaining: Int)] = [:]
        var stopping = false

        /// The first queued job whose partition is not running, out of its slot with its engine.
        /// Under the lock.
        func takeRunnable() -> Taken? {
            for (i, entry) in queue.enumerated() {
                let partition = batches[entry.batch]!.jobs[entry.index]!.partition
                guard !running.contains(partition) else { continue }
                queue.remove(at: i)
                running.insert(partition)
                let job = batches[entry.batch]!.jobs[entry.index].take()!
                let engine = parked.removeValue(forKey: partition)!
                return Taken(batch: entry.batch, index: entry.index, job: job, engine: engine)
            }
            return nil
        }

        /// Puts a finished job and its engine back. Under the lock.
        func putBack(_ taken: consuming Taken) {
            let partition = taken.job.partition
            parked[partition] = taken.engine
            running.remove(partition)
            batches[taken.batch]!.jobs[taken.index] = taken.job
            batches[taken.batch]!.remaining -= 1
            condition.broadcast()
        }

        /// Runs `taken` without the lock and puts it back. Called and returns with the lock held.
        func run(_ taken: consuming Taken) {
            condition.unlock()
            var taken = taken
            taken.job.run(on: &taken.engine)
            condition.lock()
            putBack(taken)
        }

        /// A helper's life: run jobs as they come, until the pool stops.
        func serve() {
            condition.lock()
            while !stopping {
                if let taken = takeRunnable() {
                    run(taken)
                } else {
                    condition.wait()
                }
            }
            condition.unlock()
        }
    }

    /// At most this many jobs run at once (the caller's thread and `threads - 1` helpers).
    let threads: Int
    /// The helper threads; nil with one thread.
    private let pool: WorkerPool?
    private let shared = Shared()
    private var nextBatch: BatchID = 1
    private var stopped = false

    init(threads: Int) {
        precondition(threads >= 1, "partition workers need at least the caller's thread")
        self.threads = threads
        pool = threads > 1 ? WorkerPool(helpers: threads - 1) : nil
        let shared = shared
        pool?.start { worker in if worker > 0 { shared.serve() } }
    }

    deinit { shutdown() }

    /// Whether some submitted batch is not yet completed.
    var isBusy: Bool {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        return !shared.batches.isEmpty
    }

    /// Queues `jobs` as one batch and returns at once; the helpers start on them. A partition
    /// whose engine is not here yet gets it from `engine` (called on this thread, under the lock:
    /// it must not call back into these workers).
    func submit(_ jobs: consuming [Job], engine: (TopicPartition) -> IncidentEngine) -> BatchID {
        let id = nextBatch
        nextBatch += 1
        // Each job moved (not copied) into its slot: a job's incidents must have no other owner
        // when a thread runs it, or the engine's in-place reads would copy the whole array first.
        var pending = consume jobs
        var slots: [Job?] = []
        slots.reserveCapacity(pending.count)
        while let job = pending.popLast() { slots.append(job) }
        slots.reverse()
        let partitions = slots.map { $0!.partition }
        shared.condition.lock()
        for (index, tp) in partitions.enumerated() {
            if shared.parked[tp] == nil, !shared.running.contains(tp) { shared.parked[tp] = engine(tp) }
            shared.queue.append((id, index))
        }
        shared.batches[id] = (consume slots, partitions.count)
        shared.condition.broadcast()
        shared.condition.unlock()
        return id
    }

    /// Waits until batch `id` is done, running jobs on this thread meanwhile (earliest queued
    /// first, so its own), and returns its jobs in the order submitted, with their results.
    func complete(_ id: BatchID) -> [Job] {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        guard shared.batches[id] != nil else { return [] }
        while shared.batches[id]!.remaining > 0 {
            if let taken = shared.takeRunnable() {
                shared.run(taken)
            } else {
                shared.condition.wait()
            }
        }
        return shared.batches.removeValue(forKey: id)!.jobs.map { $0! }
    }

    /// Gives every engine back (none may be running: complete every batch first).
    func reclaim() -> [TopicPartition: IncidentEngine] {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        precondition(shared.batches.isEmpty && shared.running.isEmpty, "reclaim while batches run")
        var engines: [TopicPartition: IncidentEngine] = [:]
        swap(&engines, &shared.parked)
        return engines
    }

    /// Runs `jobs` as one batch and waits for it (tests, tools; the pipeline submits and completes).
    func run(_ jobs: consuming [Job], engines: inout [TopicPartition: IncidentEngine]) -> [Job] {
        let id = submit(consume jobs) { engines.removeValue(forKey: $0)! }
        let done = complete(id)
        for (tp, engine) in reclaim() { engines[tp] = engine }
        return done
    }

    /// Stops and joins the helper threads after their current job (the pipeline's stop).
    /// Idempotent; nothing may be submitted after.
    func shutdown() {
        guard !stopped else { return }
        stopped = true
        shared.condition.lock()
        shared.stopping = true
        shared.condition.broadcast()
        shared.condition.unlock()
        pool?.wait()
        pool?.shutdown()
    }
}
