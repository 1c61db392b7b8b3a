import Dispatch
import Synchronization
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
/// so an uneven batch still keeps every thread busy while work remains. libdispatch's
/// `concurrentPerform` supplies the threads (its pool is persistent; the calling thread takes a
/// share), at most `threads` at once and never more than there are jobs. No Kafka call happens
/// here: librdkafka stays on the loop thread, which waits for the join.
struct PartitionWorkers: Sendable {
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

    /// At most this many jobs run at once (1: everything on the calling thread).
    let threads: Int

    init(threads: Int) {
        precondition(threads >= 1, "worker threads must be at least 1")
        self.threads = threads
    }

    /// Runs every job and returns them, in the same order, with their results.
    func run(_ jobs: consuming [Job]) -> [Job] {
        let width = min(threads, jobs.count)
        guard width > 1 else {
            var done = consume jobs
            for i in done.indices { done[i].run() }
            return done
        }
        // Largest first: the last job to start is a small one, so the threads finish together.
        let order = jobs.indices.sorted { jobs[$0].incidents.count > jobs[$1].incidents.count }
        let count = jobs.count
        // `consume`: from here each engine has one owner, its slot, so running it copies nothing.
        let queue = Mutex<(slots: [Job?], next: Int)>(((consume jobs).map { $0 }, 0))
        DispatchQueue.concurrentPerform(iterations: width) { _ in
            while true {
                // Take the job out of its slot (the slot empties, so the engine is not shared).
                var taken: (index: Int, job: Job)? = queue.withLock { state in
                    guard state.next < order.count else { return nil }
                    let index = order[state.next]
                    state.next += 1
                    return state.slots[index].take().map { (index, $0) }
                }
                guard taken != nil else { return }
                taken!.job.run()
                let index = taken!.index
                queue.withLock { $0.slots[index] = taken.take()?.job }
            }
        }
        return queue.withLock { state in
            var done: [Job] = []
            done.reserveCapacity(count)
            for index in 0..<count { if let job = state.slots[index].take() { done.append(job) } }
            return done
        }
    }
}
