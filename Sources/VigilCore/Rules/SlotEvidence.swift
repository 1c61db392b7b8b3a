/// Evidence rings indexed by window-table slot instead of hashed by key: recording an incident
/// costs an array access, not a dictionary lookup. A ring remembers the key it belongs to and
/// starts afresh when its slot is handed to another key. When a key expires and later comes back
/// in the same slot, its old ids stay in the ring; they are older than any window an alert can
/// cite (keys expire only after the longest horizon), and `ids(from:to:)` filters by time.
struct SlotEvidence: Sendable {
    private var rings: [EvidenceRing] = []
    private var owners: [UInt64] = []

    mutating func append(slot: Int32, key: UInt64, time: Timestamp, id: String) {
        let s = Int(slot)
        if s >= rings.count {
            rings.append(contentsOf: repeatElement(EvidenceRing(), count: s + 1 - rings.count))
            owners.append(contentsOf: repeatElement(0, count: s + 1 - owners.count))
        }
        if owners[s] != key {
            owners[s] = key
            rings[s] = EvidenceRing()
        }
        rings[s].append(time: time, id: id)
    }

    func ids(slot: Int32, from start: Timestamp, to end: Timestamp) -> [String] {
        rings[Int(slot)].ids(from: start, to: end)
    }
}
