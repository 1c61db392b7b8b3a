import CVigilBenchSupport
import Foundation

/// Repeated timed runs after a warm-up, reported as median and spread; plus the instrumented
/// (untimed) extras: allocation calls per event and per-event cost percentiles.
struct Measurement {
    var name: String
    var events: Int
    /// Events per wall-clock second, one per run.
    var rates: [Double] = []
    /// Events per second of this thread's CPU time, one per run (robust to other load).
    var cpuRates: [Double] = []
    var allocationsPerEvent: Double?
    var bytesPerEvent: Double?
    /// Per-event cost percentiles in ns (timer overhead subtracted), from one instrumented run.
    var percentiles: [(String, Double)] = []
    var extra: [(String, String)] = []

    var median: Double { rates.sorted()[rates.count / 2] }
    var cpuMedian: Double { cpuRates.isEmpty ? 0 : cpuRates.sorted()[cpuRates.count / 2] }

    func line() -> String {
        let sorted = rates.sorted()
        var text = String(
            format: "%-9@ median %10.0f events/s  (min %10.0f, max %10.0f, %d runs)  %7.1f ns/event",
            name as NSString, median, sorted.first ?? 0, sorted.last ?? 0, rates.count, 1e9 / median)
        let cpu = cpuRates.sorted()
        if !cpu.isEmpty { text += String(format: "  cpu-time median %10.0f/s (min %10.0f, max %10.0f)", cpuMedian, cpu.first!, cpu.last!) }
        if let a = allocationsPerEvent, let b = bytesPerEvent { text += String(format: "  allocs/event %.2f (%.0f B)", a, b) }
        for (label, ns) in percentiles { text += String(format: "  %@ %.0f ns", label as NSString, ns) }
        for (label, value) in extra { text += "  \(label) \(value)" }
        return text
    }

    func json() -> String {
        let sorted = rates.sorted()
        var fields = [
            "\"stage\":\"\(name)\"", "\"events\":\(events)", "\"median_events_per_s\":\(Int(median))",
            "\"min_events_per_s\":\(Int(sorted.first ?? 0))", "\"max_events_per_s\":\(Int(sorted.last ?? 0))",
            "\"runs\":\(rates.count)", "\"cpu_median_events_per_s\":\(Int(cpuMedian))",
            "\"cpu_min_events_per_s\":\(Int(cpuRates.min() ?? 0))", "\"cpu_max_events_per_s\":\(Int(cpuRates.max() ?? 0))"
        ]
        if let a = allocationsPerEvent { fields.append(String(format: "\"allocations_per_event\":%.3f", a)) }
        if let b = bytesPerEvent { fields.append(String(format: "\"allocated_bytes_per_event\":%.1f", b)) }
        for (label, ns) in percentiles { fields.append(String(format: "\"%@_ns\":%.0f", label as NSString, ns)) }
        for (label, value) in extra { fields.append("\"\(label)\":\(value)") }
        return "{" + fields.joined(separator: ",") + "}"
    }
}

enum Clock {
    @inline(__always) static func now() -> UInt64 { CVigilBench_nowNanoseconds() }

    /// Median cost of reading the clock twice back to back (subtracted from per-event timings).
    static func overhead() -> UInt64 {
        var samples: [UInt64] = []
        for _ in 0..<10_001 {
            let a = now()
            let b = now()
            samples.append(b - a)
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}

/// Runs `body` once to warm up, then `runs` times, timing each by the wall clock and by the
/// thread's CPU time.
func timeRuns(_ runs: Int, events: Int, _ body: () -> Void) -> (wall: [Double], cpu: [Double]) {
    body()
    var wall: [Double] = []
    var cpu: [Double] = []
    for _ in 0..<runs {
        let start = Clock.now()
        let cpuStart = CVigilBench_threadCPUNanoseconds()
        body()
        let cpuEnd = CVigilBench_threadCPUNanoseconds()
        let end = Clock.now()
        wall.append(Double(events) / (Double(end - start) / 1e9))
        cpu.append(Double(events) / (Double(cpuEnd - cpuStart) / 1e9))
    }
    return (wall, cpu)
}

/// Allocation calls and bytes made by `body`, per event (nil where the shim is unavailable).
func countAllocations(events: Int, _ body: () -> Void) -> (Double, Double)? {
    let calls = CVigilBench_allocations()
    let bytes = CVigilBench_allocatedBytes()
    guard CVigilBench_countAllocations(1) == 1 else { return nil }
    body()
    CVigilBench_countAllocations(0)
    return (Double(CVigilBench_allocations() - calls) / Double(events), Double(CVigilBench_allocatedBytes() - bytes) / Double(events))
}

/// p50/p99/p99.9/max of per-event nanoseconds (timer overhead already subtracted by the caller).
func percentiles(_ samples: inout [UInt32]) -> [(String, Double)] {
    guard !samples.isEmpty else { return [] }
    samples.sort()
    func at(_ q: Double) -> Double { Double(samples[min(samples.count - 1, Int(q * Double(samples.count)))]) }
    return [("p50", at(0.5)), ("p99", at(0.99)), ("p99.9", at(0.999)), ("max", Double(samples.last!))]
}

/// Resident set size of this process in bytes (Linux /proc), or 0.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kb = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return kb * 1024
    }
    return 0
}
