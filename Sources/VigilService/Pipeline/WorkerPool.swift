import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Threads that the pipeline owns, started with it and joined when it stops: the extra cores of
/// `pipeline.worker_threads`.
///
/// Why not libdispatch's pool: its threads belong to the process, not to the pipeline, so they
/// are still alive (and may still be finishing a task) when `vigil run` returns from `main` and
/// the exit-time destructors run. Two of about ten two-thread daemons once aborted there with
/// glibc heap corruption. These threads are ordinary joinable pthreads: `shutdown` wakes them,
/// they return, and it joins each one, so after it no thread of this pool exists.
///
/// `perform` is fork–join: every helper runs the same body once with its own index while the
/// caller runs index 0, and it returns only when all of them have returned. `start` and `wait`
/// are its two halves, for a caller that works on something else in between. Between calls the
/// helpers sleep on a condition variable (no spinning, no CPU when the daemon is idle).
final class WorkerPool {
    /// What the helpers and the caller share, under `condition`'s lock.
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        var body: (@Sendable (Int) -> Void)?
        /// Bumped by every `perform`: a helper runs the body once per generation.
        var generation: UInt64 = 0
        /// Helpers that have not yet returned from this generation's body.
        var busy = 0
        var stopping = false
    }

    /// How a helper thread starts: which pool state it serves and its index (1...helpers).
    private final class Start {
        let shared: Shared
        let index: Int
        let name: String
        init(shared: Shared, index: Int, name: String) {
            self.shared = shared
            self.index = index
            self.name = name
        }
    }

    /// Threads besides the caller's.
    let helpers: Int
    private let shared = Shared()
    private var threads: [pthread_t] = []
    private var joined = false

    /// Starts `helpers` threads (at least 1), each waiting for work, named `name-1`, `name-2`...
    /// (what `top -H` and /proc show; Linux keeps 15 bytes).
    init(helpers: Int, name: String = "vigil-worker") {
        precondition(helpers >= 1, "a worker pool needs at least one helper thread")
        self.helpers = helpers
        for index in 1...helpers {
            let start = Unmanaged.passRetained(Start(shared: shared, index: index, name: "\(name)-\(index)")).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(
                &thread, nil,
                { raw in
                    let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
                    WorkerPool.nameThisThread(start.name)
                    WorkerPool.serve(start.shared, index: start.index)
                    return nil
                }, start)
            precondition(rc == 0, "cannot start worker thread \(index): pthread_create returned \(rc)")
            threads.append(thread)
        }
    }

    deinit { shutdown() }

    /// Runs `body(i)` for every i in 0...helpers at once (0 on the calling thread) and returns when
    /// every call has returned. Not reentrant; call from one thread only (the pipeline's loop).
    func perform(_ body: @escaping @Sendable (Int) -> Void) {
        start(body)
        body(0)
        wait()
    }

    /// Starts `body(i)` for every i in 1...helpers and returns at once, so the caller can do other
    /// work before it `wait`s (the pipelined engines: the next batch is read meanwhile). Each
    /// `start` needs its `wait` before the next `start`. Call from one thread only.
    func start(_ body: @escaping @Sendable (Int) -> Void) {
        let shared = shared
        shared.condition.lock()
        precondition(!shared.stopping, "start after shutdown")
        precondition(shared.body == nil, "start before the previous start's wait")
        shared.body = body
        shared.generation &+= 1
        shared.busy = helpers
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    /// Returns when every helper has returned from the body of the last `start`.
    func wait() {
        let shared = shared
        shared.condition.lock()
        while shared.busy > 0 { shared.condition.wait() }
        shared.body = nil
        shared.condition.unlock()
    }

    /// Wakes every helper, lets it return, and joins it. Idempotent; after it `perform` traps.
    func shutdown() {
        guard !joined else { return }
        joined = true
        shared.condition.lock()
        shared.stopping = true
        shared.condition.broadcast()
        shared.condition.unlock()
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
    }

    /// Names the calling thread (Glibc's module does not export `pthread_setname_np`).
    private static func nameThisThread(_ name: String) {
        guard let file = fopen("/proc/thread-self/comm", "w") else { return }
        fputs(String(decoding: name.utf8.prefix(15), as: UTF8.self), file)
        fclose(file)
    }

    /// A helper's life: wait for a new generation (or the stop), run its body, report it done.
    private static func serve(_ shared: Shared, index: Int) {
        var seen: UInt64 = 0
        while true {
            shared.condition.lock()
            while shared.generation == seen, !shared.stopping { shared.condition.wait() }
            if shared.stopping {
                shared.condition.unlock()
                return
            }
            seen = shared.generation
            let body = shared.body
            shared.condition.unlock()
            body?(index)
            shared.condition.lock()
            shared.busy -= 1
            if shared.busy == 0 { shared.condition.broadcast() }
            shared.condition.unlock()
        }
    }
}
