import Foundation
import Synchronization
import Testing

@testable import VigilService

/// The pipeline's own threads: every index runs once per `perform`, on distinct threads, the call
/// returns only after all of them, and `shutdown` leaves no thread behind.
@Suite("worker pool: owned threads, fork-join, joined at shutdown")
struct WorkerPoolTests {
    /// Threads of this process named `prefix`-something, from the kernel (Linux /proc).
    static func threads(named prefix: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            let comm = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
            return comm.hasPrefix(prefix + "-")
        }.count
    }

    @Test(arguments: [1, 2, 3])
    func everyIndexRunsOncePerPerformOnItsOwnThreadAndPerformWaitsForAll(helpers: Int) {
        let pool = WorkerPool(helpers: helpers)
        defer { pool.shutdown() }
        for round in 0..<200 {
            let seen = Locked<[Int: UInt]>([:])  // a pthread mutex, which ThreadSanitizer sees
            let finished = Atomic<Int>(0)
            pool.perform { index in
                // Unequal work, so a perform that returned early would show unfinished indices.
                var x: UInt64 = UInt64(index + round)
                for _ in 0..<(index * 2000) { x = x &* 6_364_136_223_846_793_005 &+ 1 }
                seen.withLock { $0[index] = pthread_self() }
                #expect(x != 0 || index == 0)
                finished.add(1, ordering: .sequentiallyConsistent)
            }
            #expect(finished.load(ordering: .sequentiallyConsistent) == helpers + 1, "perform returned before every index finished")
            let threads = seen.withLock { $0 }
            #expect(Set(threads.keys) == Set(0...helpers))
            #expect(Set(threads.values).count == helpers + 1, "each index on its own thread")
            #expect(threads[0] == pthread_self(), "index 0 runs on the caller")
        }
    }

    @Test func shutdownJoinsEveryThreadAndIsIdempotent() throws {
        let pool = WorkerPool(helpers: 3, name: "wpt-join")
        pool.perform { _ in }
        #expect(Self.threads(named: "wpt-join") == 3)
        pool.shutdown()
        pool.shutdown()
        // Joined threads are gone; the kernel may take a moment to drop a finished task's entry.
        var left = Self.threads(named: "wpt-join")
        for _ in 0..<200 where left > 0 {
            usleep(10_000)
            left = Self.threads(named: "wpt-join")
        }
        #expect(left == 0, "a pool thread outlived shutdown")
    }

    /// A pool dropped without `shutdown` still joins its threads (deinit), so an error path that
    /// forgets it cannot leave threads running into the process's exit.
    @Test func aDroppedPoolJoinsItsThreads() {
        let counter = Atomic<Int>(0)
        do {
            let pool = WorkerPool(helpers: 2, name: "wpt-drop")
            pool.perform { _ in counter.add(1, ordering: .relaxed) }
        }
        #expect(counter.load(ordering: .relaxed) == 3)
        var left = Self.threads(named: "wpt-drop")
        for _ in 0..<200 where left > 0 {
            usleep(10_000)
            left = Self.threads(named: "wpt-drop")
        }
        #expect(left == 0, "a dropped pool left a thread running")
    }
}
