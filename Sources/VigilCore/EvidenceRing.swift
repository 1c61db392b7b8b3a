/// The most recent incident ids of a key, with their event times: the evidence an alert cites.
struct EvidenceRing: Sendable {
    static let capacity = 16
    private(set) var items: [(time: Int64, id: String)] = []

    mutating func append(time: Timestamp, id: String) {
        if items.count == Self.capacity { items.removeFirst() }
        items.append((time.milliseconds, id))
    }

    /// Ids with event time in `[start, end)`, oldest first.
    func ids(from start: Timestamp, to end: Timestamp) -> [String] {
        items.filter { $0.time >= start.milliseconds && $0.time < end.milliseconds }.map(\.id)
    }
}
