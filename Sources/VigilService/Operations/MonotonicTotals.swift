import VigilKafka

/// Turns per-partition engine counters, which vanish when a partition is revoked, into
/// process-wide monotonic totals (Prometheus counters must never go down).
struct MonotonicTotals {
    private var last: [TopicPartition: Int] = [:]
    private var retired = 0

    /// The total given the current value of each partition's counter.
    mutating func total(_ current: [TopicPartition: Int]) -> Int {
        for (tp, value) in last {
            if let now = current[tp] {
                if now < value { retired += value }  // the engine was recreated (reassigned)
            } else {
                retired += value
            }
        }
        last = current
        return retired + current.values.reduce(0, +)
    }
}
