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

    /// Resident pages of this process (/proc/self/statm, second field).
    static func residentPages() -> Int {
        let text = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        return Int(text.split(separator: " ")[1]) ?? 0
    }

    @Test("48 MiB freed between live blocks stays resident after free and goes back with the trim")
    func releasesFreePages() throws {
        // On a thread of its own (an arena of its own, like the pipeline thread's and librdkafka's).
        let result = Mutex<(before: Int, trimmed: Int, released: Bool)?>(nil)
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
            let before = Self.residentPages()
            for p in blocks { free(p) }
            let released = AllocatorTrim.releaseFreeMemory()
            let trimmed = Self.residentPages()
            for p in pins { free(p) }
            result.withLock { $0 = (before, trimmed, released) }
            done.signal()
        }
        thread.start()
        done.wait()
        let r = try #require(result.withLock { $0 })
        let pageKiB = sysconf(Int32(_SC_PAGESIZE)) / 1024
        #expect(r.released)
        // Of the 48 MiB, at least 32 MiB are given back (a 64 KiB chunk's edges share pages with its pins).
        #expect((r.before - r.trimmed) * pageKiB >= 32 * 1024)
    }
}
