import Foundation

/// Hands the pages that glibc's allocator holds free back to the kernel, at most once per
/// `interval`, from the processing loop between polls.
///
/// glibc gives each thread that allocates concurrently an arena of its own and returns memory
/// from an arena only when its topmost chunk is free. In `vigil run` the pipeline thread frees
/// what librdkafka's broker threads allocated (fetched messages) and the engines' tables grow and
/// move, so the arenas keep tens of megabytes of free chunks in the middle of used ones: resident,
/// never reused by the other arenas. `malloc_trim(0)` releases the free pages of every arena
/// (`madvise(MADV_DONTNEED)`), which lowers the daemon's resident set and so its peak: on the
/// 2.17M-message stream, peak RSS 210-212 -> 194-199 MB with the same throughput (docs/PERFORMANCE.md,
/// "Issue 13: latency and memory"). Once every few seconds, its cost does not show.
///
/// Resolved at run time (`dlsym`): `malloc_trim` is glibc's; elsewhere this does nothing.
struct AllocatorTrim {
    let interval: Duration
    private var last: ContinuousClock.Instant?

    init(interval: Duration) { self.interval = interval }

    /// Whether a trim is due at `now`; the first call is, then one per `interval`.
    mutating func isDue(at now: ContinuousClock.Instant) -> Bool {
        if let last, now - last < interval { return false }
        last = now
        return true
    }

    /// Releases the free pages of every arena; true when some memory went back to the kernel.
    @discardableResult
    static func releaseFreeMemory() -> Bool {
        guard let trim = mallocTrim else { return false }
        return trim(0) == 1
    }

    private typealias Trim = @convention(c) (Int) -> Int32
    private static let mallocTrim: Trim? = dlsym(nil, "malloc_trim").map { unsafeBitCast($0, to: Trim.self) }
}
