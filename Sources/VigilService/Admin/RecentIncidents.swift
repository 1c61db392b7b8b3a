import Synchronization
import VigilCore

/// The most recent accepted incidents (a bounded ring), so the operator's page can draw them as
/// points and list the incidents an alert cites. The processing loop hands over a batch per loop
/// iteration (one lock per batch, not per incident); page requests copy out a bounded slice.
///
/// Entries are kept as packed records (`IncidentRecords`: times, coordinates and the text's
/// UTF-8 bytes), not as `Entry` values. An `Entry` held the decoder's id and neighbourhood
/// strings: keeping one retained both (atomic operations on lines another thread had just
/// written), and overwriting it 50,000 incidents later released them, most often the last
/// release, a free of memory long out of the cache, on every incident. Page reads are rare and
/// build their entries on demand.
final class RecentIncidents: Sendable {
    struct Entry: Sendable, Equatable {
        var id: String
        var eventTime: Timestamp
        var category: String
        var neighbourhood: String?
        var latitude: Double
        var longitude: Double
    }

    let capacity: Int
    private let ring: Mutex<(records: IncidentRecords, next: Int)>

    init(capacity: Int = 50_000) {
        self.capacity = max(1, capacity)
        ring = Mutex((IncidentRecords(), 0))
    }

    /// Appends `batch`'s entries in order (the newest `capacity` of them when it holds more).
    func append(_ batch: IncidentRecords) {
        guard !batch.isEmpty else { return }
        let capacity = capacity
        ring.withLock { r in
            for k in max(0, batch.count - capacity)..<batch.count {
                if r.records.count < capacity {
                    r.records.append(from: batch, at: k)
                } else {
                    r.records.replace(at: r.next, from: batch, at: k)
                    r.next += 1
                    if r.next == capacity { r.next = 0 }
                }
            }
        }
    }

    func append(_ batch: [Entry]) {
        var records = IncidentRecords()
        for e in batch {
            records.append(
                id: e.id, eventTime: e.eventTime, category: e.category, neighbourhood: e.neighbourhood, latitude: e.latitude,
                longitude: e.longitude)
        }
        append(records)
    }

    /// The newest `limit` entries, newest first.
    func newest(_ limit: Int) -> [Entry] {
        ring.withLock { r in
            let count = r.records.count
            let n = min(limit, count)
            var out: [Entry] = []
            out.reserveCapacity(n)
            for k in 0..<n { out.append(r.records.entry(at: (r.next - 1 - k + 2 * count) % count)) }
            return out
        }
    }

    /// The entries with these ids that are still in the ring (at most `ids.count`), newest first.
    func find(_ ids: Set<String>) -> [Entry] {
        guard !ids.isEmpty else { return [] }
        let wanted = Dictionary(grouping: ids.map { Array($0.utf8) }, by: \.count)
        return ring.withLock { r in
            let count = r.records.count
            var out: [Entry] = []
            for k in 0..<count where out.count < ids.count {
                let i = (r.next - 1 - k + 2 * count) % count
                if r.records.id(at: i, isIn: wanted) { out.append(r.records.entry(at: i)) }
            }
            return out
        }
    }

    var count: Int { ring.withLock { $0.records.count } }
}
