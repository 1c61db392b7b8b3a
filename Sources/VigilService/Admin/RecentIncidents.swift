import Synchronization
import VigilCore

/// The most recent accepted incidents (a bounded ring), so the operator's page can draw them as
/// points and list the incidents an alert cites. The processing loop hands over a batch per loop
/// iteration (one lock per batch, not per incident); page requests copy out a bounded slice.
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
    private let ring: Mutex<(entries: [Entry], next: Int)>

    init(capacity: Int = 50_000) {
        self.capacity = max(1, capacity)
        ring = Mutex(([], 0))
    }

    func append(_ batch: [Entry]) {
        guard !batch.isEmpty else { return }
        ring.withLock { r in
            for e in batch.suffix(capacity) {
                if r.entries.count < capacity {
                    r.entries.append(e)
                } else {
                    r.entries[r.next] = e
                    r.next = (r.next + 1) % capacity
                }
            }
        }
    }

    /// The newest `limit` entries, newest first.
    func newest(_ limit: Int) -> [Entry] {
        ring.withLock { r in
            let n = min(limit, r.entries.count)
            var out: [Entry] = []
            out.reserveCapacity(n)
            for k in 0..<n {
                let i = (r.next - 1 - k + 2 * r.entries.count) % r.entries.count
                out.append(r.entries[i])
            }
            return out
        }
    }

    /// The entries with these ids that are still in the ring (at most `ids.count`), newest first.
    func find(_ ids: Set<String>) -> [Entry] {
        guard !ids.isEmpty else { return [] }
        return ring.withLock { r in
            var out: [Entry] = []
            for k in 0..<r.entries.count where out.count < ids.count {
                let e = r.entries[(r.next - 1 - k + 2 * r.entries.count) % r.entries.count]
                if ids.contains(e.id) { out.append(e) }
            }
            return out
        }
    }

    var count: Int { ring.withLock { $0.entries.count } }
}
