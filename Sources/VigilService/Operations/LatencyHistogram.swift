/// A fixed-bucket histogram of durations in seconds, in Prometheus' cumulative-bucket shape.
struct LatencyHistogram: Sendable {
    /// Upper bounds, seconds: 100 µs … 10 s.
    static let bounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Non-cumulative counts per bucket; the last entry is the +Inf overflow.
    private(set) var counts = [Int](repeating: 0, count: bounds.count + 1)
    private(set) var sum = 0.0
    private(set) var count = 0

    mutating func observe(_ seconds: Double) {
        let index = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
        counts[index] += 1
        sum += seconds
        count += 1
    }

    /// Cumulative counts for each bound, then +Inf (equal to `count`).
    var cumulative: [Int] {
        var running = 0
        return counts.map {
            running += $0
            return running
        }
    }
}
