/// The most recent incident ids of a key, with their event times: the evidence an alert cites.
/// A fixed-size circular buffer, so recording an id costs no shifting.
struct EvidenceRing: Sendable {
    static let capacity = 16
    private var times: [Int64] = []
    private var ids: [String] = []
    private var next = 0

    mutating func append(time: Timestamp, id: String) {
        if ids.count < Self.capacity {
            times.append(time.milliseconds)
            ids.append(id)
        } else {
            times[next] = time.milliseconds
            ids[next] = id
            next = (next + 1) % Self.capacity
        }
    }

    /// Ids with event time in `[start, end)`, in the order they were recorded.
    func ids(from start: Timestamp, to end: Timestamp) -> [String] {
        var out: [String] = []
        for k in 0..<ids.count {
            let i = (next + k) % ids.count
            if times[i] >= start.milliseconds && times[i] < end.milliseconds { out.append(ids[i]) }
        }
        return out
    }
}
