import Foundation

/// Gives every allocation of at least `threshold` bytes pages of its own (`mmap`), which go back
/// to the kernel as soon as it is freed, instead of a place inside one of glibc's arenas.
///
/// Why: glibc starts with a 128 KiB mmap threshold but raises it to the size of every mmapped
/// block that is freed (up to 32 MiB). After the first large blocks are freed in `vigil run`
/// (librdkafka's fetch buffers, the engines' tables as they grow), blocks of 1-12 MB are carved
/// from the arenas. Freed, they leave holes of that size between used chunks, which an arena
/// keeps and `malloc_trim` can only partly release; each thread that allocates adds an arena with
/// holes of its own. At the peak of the 2.17M-message run with 2 worker threads, the arenas held
/// 274 MB of address space with 87-115 MB of it free, mostly in chunks of 0.8-12 MB
/// (`malloc_info`; docs/PERFORMANCE.md, "Issue 13: latency and memory"). A fixed threshold turns
/// glibc's adjustment off, so no large block ever lands in an arena.
///
/// Process-wide and settable at any time (`mallopt(M_MMAP_THRESHOLD)`): later allocations follow
/// it. Resolved at run time (`dlsym`): elsewhere than glibc this does nothing.
enum LargeBlocks {
    /// 1 MiB: every block seen holding an arena's free space was larger; smaller ones stay in
    /// the arenas, so frequent mid-sized allocations cost no system call.
    static let threshold = 1 << 20

    /// Sets glibc's mmap threshold to `bytes`; true when the allocator took it.
    @discardableResult
    static func mapSeparately(atLeast bytes: Int = threshold) -> Bool {
        guard let mallopt else { return false }
        return mallopt(mmapThreshold, Int32(clamping: bytes)) == 1
    }

    /// glibc's `M_MMAP_THRESHOLD` (malloc.h).
    private static let mmapThreshold: Int32 = -3
    private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    private static let mallopt: Mallopt? = dlsym(nil, "mallopt").map { unsafeBitCast($0, to: Mallopt.self) }
}
