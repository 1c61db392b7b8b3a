import Foundation
import VigilCore

extension VigilConfiguration {
    /// `[pipeline]` batch and shutdown settings, and `input.max_future`.
    struct Pipeline {
        var maxBatch = 1000
        /// How long shutdown waits for outstanding deliveries before giving up (offsets stay uncommitted).
        var shutdownTimeoutMs = 20_000
        /// Incidents timed further than this ahead of the wall clock are dead-lettered
        /// (`future_event_time`): one would drag its partition's watermark into the future and
        /// make every later incident late.
        var maxFutureMs: Int64 = 86_400_000
        /// Threads that run the partitions' engines of a poll batch at once (`pipeline.worker_threads`).
        /// The default is `"auto"`, `automaticWorkerThreads` (2 on a machine with 2 or more CPUs, 1 on
        /// a single core): partitions are independent state owners, so a second core is throughput
        /// for free, and 2 threads peak at ~154 MB on the 2M-message run, inside the 200 MB goal
        /// (docs/PERFORMANCE.md). 1 runs each poll's batch on the loop thread at the poll's end.
        var workerThreads = automaticWorkerThreads()

        /// The CPUs this process may run on, at least 1.
        static var onlineCPUs: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

        /// `pipeline.worker_threads = "auto"`: both cores when there are at least two, else 1 (a
        /// second thread on one core only time-slices the same work and adds an arena). Not more
        /// than 2: beyond two, the loop thread's serial share (decoding, routing, outputs) bounds
        /// the gain, and each thread adds memory (docs/PERFORMANCE.md, "Issue 13").
        static func automaticWorkerThreads(cpus: Int = onlineCPUs) -> Int { min(2, max(1, cpus)) }

        static func read(_ r: inout ConfigReader) throws(ConfigurationError) -> Pipeline {
            var p = Pipeline()
            p.maxBatch = try r.int("pipeline.max_batch", default: p.maxBatch)
            p.shutdownTimeoutMs = Int(
                try r.duration("pipeline.shutdown_timeout", default: EventDuration(milliseconds: Int64(p.shutdownTimeoutMs))).milliseconds)
            p.maxFutureMs = try r.duration("input.max_future", default: EventDuration(milliseconds: p.maxFutureMs)).milliseconds
            try require(p.maxFutureMs > 0, "input.max_future", "must be positive", "write a duration like \"1d\"")
            try require((1...100_000).contains(p.maxBatch), "pipeline.max_batch", "must be between 1 and 100000", nil)
            p.workerThreads = try r.int(
                "pipeline.worker_threads", default: p.workerThreads, word: "auto", meaning: automaticWorkerThreads())
            try require(
                (1...256).contains(p.workerThreads), "pipeline.worker_threads", "must be between 1 and 256, or \"auto\"",
                "write \"auto\" (\(automaticWorkerThreads()) here), 1 to process every partition on the loop thread, "
                    + "or the number of CPUs (\(onlineCPUs) here) to use them all")
            return p
        }
    }
}
