import Foundation
import Synchronization
import Testing

@testable import VigilService

/// Issue 13, peak RSS with worker threads: a large block freed between live ones goes back to the
/// kernel at once, although glibc's own adjustment would have put it inside an arena.
@Suite("LargeBlocks: large allocations are mapped on their own")
struct LargeBlocksTests {
    @Test("64 MiB of 2 MiB blocks freed between live blocks leave the resident set without a trim")
    func freedLargeBlocksLeaveAtOnce() throws {
        let result = Mutex<(set: Bool, before: Int, after: Int)?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            // Without a fixed threshold, freeing a 24 MiB mapped block raises glibc's threshold
            // to 24 MiB, and the 2 MiB blocks below would be carved from this thread's arena,
            // where free() keeps them (the pins stop them merging into the top).
            let raise = malloc(24 << 20)!
            memset(raise, 1, 24 << 20)
            free(raise)
            let set = LargeBlocks.mapSeparately(atLeast: 1 << 20)
            var blocks: [UnsafeMutableRawPointer] = []
            var pins: [UnsafeMutableRawPointer] = []
            for _ in 0..<32 {
                let p = malloc(2 << 20)!
                memset(p, 1, 2 << 20)  // resident
                blocks.append(p)
                pins.append(malloc(64)!)
            }
            let before = AllocatorTrimTests.residentKiB(blocks, size: 2 << 20)
            for p in blocks { free(p) }
            let after = AllocatorTrimTests.residentKiB(blocks, size: 2 << 20)  // unmapped pages are not resident
            for p in pins { free(p) }
            result.withLock { $0 = (set, before, after) }
            done.signal()
        }
        thread.start()
        done.wait()
        let r = try #require(result.withLock { $0 })
        #expect(r.set)
        // Of the 64 MiB, at least 48 MiB leave with free() alone (the blocks' own pages, by
        // mincore, so the suites running alongside do not move the figure).
        #expect(r.before - r.after >= 48 * 1024, "resident before free \(r.before) KiB, after \(r.after) KiB")
    }
}
