import Foundation
import Synchronization
import Testing

@testable import VigilService

/// Issue 13, peak RSS: the loop's periodic `malloc_trim` really returns an arena's free pages.
@Suite("AllocatorTrim: free chunks held by glibc go back to the kernel")
struct AllocatorTrimTests {
    @Test("due on the first call, then once per interval")
    func cadence() {
        var trim = AllocatorTrim(interval: .seconds(5))
        let t0 = ContinuousClock.now
        let due = [0, 4, 5, 9, 11].map { trim.isDue(at: t0 + .seconds($0)) }
        #expect(due == [true, false, true, false, true])
    }

    /// Resident KiB of the whole pages inside `blocks` (each `size` bytes), by `mincore`: what
    /// these blocks hold, whatever the other suites running in parallel allocate or free (a
    /// process-wide figure such as /proc/self/statm moves with them). Unmapped pages count as
    /// not resident.
    static func residentKiB(_ blocks: [UnsafeMutableRawPointer], size: Int) -> Int {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var vector = [UInt8](repeating: 0, count: size / page + 1)
        var pages = 0
        for p in blocks {
            let first = (Int(bitPattern: p) + page - 1) / page * page
            let end = (Int(bitPattern: p) + size) / page * page
            guard end > first, let start = UnsafeMutableRawPointer(bitPattern: first) else { continue }
            let count = (end - first) / page
            guard mincore(start, end - first, &vector) == 0 else { continue }
            pages += vector[0..<count].reduce(0) { $0 + Int($1 & 1) }
        }
        return pages * page / 1024
    }

    @Test("48 MiB freed between live blocks stays resident after free and goes back with the trim")
    func releasesFreePages() throws {
        // On a thread of its own (an arena of its own, like the pipeline thread's and librdkafka's).
        let result = Mutex<(afterFree: Int, afterTrim: Int, released: Bool)?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            // 64 KiB blocks (below the mmap threshold), each followed by a small live block, so
            // that no freed block can merge into the arena's top: free() keeps them all, as the
            // daemon's arenas keep free chunks between used ones.
            var blocks: [UnsafeMutableRawPointer] = []
            var pins: [UnsafeMutableRawPointer] = []
            for _ in 0..<768 {
                let p = malloc(65_536)!
                memset(p, 1, 65_536)  // resident
                blocks.append(p)
                pins.append(malloc(16)!)
            }
            for p in blocks { free(p) }
            let afterFree = Self.residentKiB(blocks, size: 65_536)
            let released = AllocatorTrim.releaseFreeMemory()
            let afterTrim = Self.residentKiB(blocks, size: 65_536)
            for p in pins { free(p) }
            result.withLock { $0 = (afterFree, afterTrim, released) }
            done.signal()
        }
        thread.start()
        done.wait()
        let r = try #require(result.withLock { $0 })
        #expect(r.released)
        // The freed blocks' pages: still resident after free() (glibc keeps free chunks between
        // live ones), and at least 32 of the 48 MiB given back by the trim (a chunk's edges share
        // pages with its header and its pin).
        #expect(r.afterFree >= 40 * 1024, "resident after free: \(r.afterFree) KiB")
        #expect(r.afterFree - r.afterTrim >= 32 * 1024, "after free \(r.afterFree) KiB, after the trim \(r.afterTrim) KiB")
    }
}
