import VigilCore

#if canImport(Glibc)
    import Glibc
#endif

/// The kernel's cryptographically secure generator (`getrandom(2)`) as a `RandomBitSource`: the
/// only randomness a real release uses. Reads 4 KiB at a time; never seeded, never falls back.
struct SystemRandomBits: RandomBitSource {
    private var buffer = [UInt64](repeating: 0, count: 512)
    private var next = 512

    mutating func next64() -> UInt64 {
        if next == buffer.count { refill() }
        defer { next += 1 }
        return buffer[next]
    }

    private mutating func refill() {
        buffer.withUnsafeMutableBytes { raw in
            var filled = 0
            while filled < raw.count {
                let n = systemGetrandom(raw.baseAddress! + filled, raw.count - filled, 0)
                if n < 0 {
                    if errno == EINTR { continue }
                    // No secure randomness means no release: stopping is the only safe answer.
                    fatalError("getrandom failed (errno \(errno)); refusing to release without secure randomness")
                }
                filled += n
            }
        }
        next = 0
    }
}

/// glibc's `ssize_t getrandom(void *buf, size_t buflen, unsigned int flags)` (since 2.25), which
/// the Glibc module does not export: blocks until the kernel pool is initialised, then never fails
/// short of EINTR. Bound by symbol name; the signature matches the C ABI on every Linux target.
@_silgen_name("getrandom")
private func systemGetrandom(_ buffer: UnsafeMutableRawPointer, _ count: Int, _ flags: UInt32) -> Int
