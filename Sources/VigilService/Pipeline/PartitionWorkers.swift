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

/// Runs several partitions' engines at once, each over its own incidents in order: the fork–join
/// half of a poll batch when `pipeline.worker_threads` > 1 (see `BatchPlan`).
///
/// Partitions are independent state owners, so their engines need no lock: each `Job` owns its
/// engine (moved out of the pipeline's dictionary, so no copy is made) while a worker runs it,
/// and comes back with its results. Workers take the next job from a shared queue, largest first,
/// so an uneven batch still keeps every thread busy while work remains. The threads are the
/// pipeline's own (`WorkerPool`: started here, joined by `shutdown`), at most `threads` at once,
/// the calling thread taking a share. No Kafka call happens here: librdkafka stays on the loop
/// thread, which waits for the join.
final class PartitionWorkers {
    /// One partition's engine and its incidents of this batch.
    struct Job: Sendable {
        var engine: IncidentEngine
        let incidents: [Incident]
        /// Whether to keep `lastScore` and `risk` with each result (the scored topic is on).
        let keepsScore: Bool
        private(set) var results: [EngineResult] = []

        init(engine: consuming IncidentEngine, incidents: [Incident], keepsScore: Bool) {
            self.engine = engine
            self.incidents = incidents
            self.keepsScore = keepsScore
        }

        /// Processes every incident in order, as the serial path would.
        mutating func run() {
            results.reserveCapacity(incidents.count)
            for incident in incidents {
                let decision = engine.process(incident)
                results.append(
                    EngineResult(
                        decision: decision, score: keepsScore ? engine.lastScore : nil, risk: keepsScore ? engine.risk : nil))
            }
        }
    }

    /// The jobs of one `run`, handed out one at a time: a job is taken out of its slot (so its
    /// engine has exactly one owner while it runs) and put back when done.
    ///
    /// The lock is a pthread mutex (`NSLock`), not the standard library's `Mutex`: ThreadSanitizer
    /// sees pthread locks, so a TSan build checks this hand-off (with `Mutex` it reported races
    /// on the slots, the lock's ordering being invisible to it).
    private final class JobQueue: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [Job?]
        private var next = 0
        /// Slot indices, largest job first.
        private let order: [Int]

        init(_ jobs: consuming [Job]) {
            let slots: [Job?] = (consume jobs).map { $0 }
            // Largest first: the last job to start is a small one, so the threads finish together.
            order = slots.indices.sorted { (slots[$0]?.incidents.count ?? 0) > (slots[$1]?.incidents.count ?? 0) }
            self.slots = slots
        }

        /// Runs jobs until none is left.
        func drain() {
            while case (let index, var job)? = take() {
                job.run()
                lock.withLock { slots[index] = job }
            }
        }

        /// The next job, out of its slot; nil when every job has been handed out.
        private func take() -> (Int, Job)? {
            lock.withLock {
                guard next < order.count else { return nil }
                let index = order[next]
                next += 1
                return slots[index].take().map { (index, $0) }
            }
        }

        /// Every job, in the order given, once `drain` has returned everywhere. Taken out of the
        /// slots, so each engine keeps one owner (its next write copies nothing).
        func finished() -> [Job] {
            lock.withLock { slots.indices.compactMap { slots[$0].take() } }
        }
    }

    /// At most this many jobs run at once (1: everything on the calling thread).
    let threads: Int
    /// The `threads - 1` helper threads; nil with one thread.
    private let pool: WorkerPool?

    init(threads: Int) {
        precondition(threads >= 1, "worker threads must be at least 1")
        self.threads = threads
        pool = threads > 1 ? WorkerPool(helpers: threads - 1) : nil
    }

    /// Runs every job and returns them, in the same order, with their results.
    func run(_ jobs: consuming [Job]) -> [Job] {
        let width = min(threads, jobs.count)
        guard width > 1, let pool else {
            var done = consume jobs
            for i in done.indices { done[i].run() }
            return done
        }
        let queue = JobQueue(consume jobs)
        pool.perform { worker in
            if worker < width { queue.drain() }
        }
        return queue.finished()
    }

    /// Joins the helper threads (the pipeline's stop). Idempotent; `run` must not be called after.
    func shutdown() {
        pool?.shutdown()
    }
}
