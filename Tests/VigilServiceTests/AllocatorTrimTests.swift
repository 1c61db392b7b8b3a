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

    @Test("48 MiB of small blocks freed below a live block: resident until trimmed, then released")
    func releasesFreePages() throws {
        // On a thread of its own (its own arena, like the pipeline thread's and librdkafka's).
        let result = Mutex<(before: Int, freed: Int, trimmed: Int, released: Bool)?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let blocks = (0..<12_288).map { _ -> UnsafeMutableRawPointer in
                let p = malloc(4096)!
                memset(p, 1, 4096)  // resident
                return p
            }
            let fence = malloc(4096)!  // above them: the arena's top cannot shrink past it
            memset(fence, 1, 4096)
            let before = Self.residentPages()
            for p in blocks { free(p) }
            let freed = Self.residentPages()
            let released = AllocatorTrim.releaseFreeMemory()
            let trimmed = Self.residentPages()
            free(fence)
            result.withLock { $0 = (before, freed, trimmed, released) }
            done.signal()
        }
        thread.start()
        done.wait()
        let r = try #require(result.withLock { $0 })
        let pageKiB = sysconf(Int32(_SC_PAGESIZE)) / 1024
        // Freeing alone keeps most of the 48 MiB resident (the free chunks sit below the fence) ...
        #expect((r.before - r.freed) * pageKiB < 16 * 1024)
        // ... and the trim gives at least 32 MiB of it back.
        #expect(r.released)
        #expect((r.freed - r.trimmed) * pageKiB >= 32 * 1024)
    }
}
