import Synchronization

/// The recent alerts the operator's page streams on `/events`: a bounded ring of published alert
/// JSON, each with a sequence number (the SSE event id). The processing loop only appends (one
/// short lock per alert); event-stream clients read at their own pace, so a slow client can never
/// hold the pipeline back, only fall behind the ring and be told so.
final class AlertFeed: Sendable {
    struct Event: Sendable, Equatable {
        var id: UInt64
        var json: [UInt8]
    }

    struct Page: Sendable, Equatable {
        var events: [Event]
        /// True when the asked-for position had already left the ring: events were missed.
        var gap: Bool
    }

    let capacity: Int
    private let ring: Mutex<(events: [Event], next: Int)>
    private let newest = Atomic<UInt64>(0)

    init(capacity: Int = 1024) {
        self.capacity = max(1, capacity)
        ring = Mutex(([], 0))
    }

    /// The newest event id (0: none yet); lock-free, for the streaming loop's "anything new?" check.
    var latestID: UInt64 { newest.load(ordering: .acquiring) }

    /// Adds one published alert (processing loop).
    func append(_ json: [UInt8]) {
        ring.withLock { r in
            let id = newest.load(ordering: .relaxed) + 1
            let event = Event(id: id, json: json)
            if r.events.count < capacity {
                r.events.append(event)
            } else {
                r.events[r.next] = event
                r.next = (r.next + 1) % capacity
            }
            newest.store(id, ordering: .releasing)
        }
    }

    /// Up to `limit` events with id greater than `after`, oldest first. An `after` beyond the newest
    /// id (the daemon restarted since the client's last event) restarts from the oldest kept.
    func events(after: UInt64, limit: Int) -> Page {
        ring.withLock { r in
            guard let newestID = r.events.isEmpty ? nil : newest.load(ordering: .relaxed) else { return Page(events: [], gap: false) }
            let oldestID = newestID - UInt64(r.events.count) + 1
            var from = after >= newestID ? (after == newestID ? newestID + 1 : oldestID) : after + 1
            let gap = from < oldestID && after != 0
            if from < oldestID { from = oldestID }
            var out: [Event] = []
            var id = from
            while id <= newestID && out.count < limit {
                let offset = Int(id - oldestID)  // position from the oldest
                out.append(r.events[(r.next + offset) % r.events.count])
                id += 1
            }
            return Page(events: out, gap: gap)
        }
    }
}
