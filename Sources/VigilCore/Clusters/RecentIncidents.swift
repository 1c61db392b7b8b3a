/// The ids of each cell's recent incidents (the longest cylinder plus lateness), only so that an
/// alert can cite the incidents behind it. Capped per cell; not read on the counting path.
///
/// Every incident appends here, so the cell's list is found through a `SlotMap` (one multiply, not
/// SipHash) and lists of expired cells are kept for reuse instead of being freed and reallocated.
struct RecentIncidents: Sendable {
    struct Entry: Sendable {
        var hour: Int64
        var category: UInt16
        var id: String
    }

    /// What a list holds per incident: plain values (the id's bytes are in `ids`), so trimming a
    /// list moves memory and releases nothing.
    private struct Kept: Sendable {
        var hour: Int64
        var id: CitedIDStore.Ref
        var category: UInt16
    }

    static let perCell = 64
    let keepHours: Int64
    /// Cell key → index into `lists`.
    private var index = SlotMap<Int32>()
    private var lists: [[Kept]] = []
    private var freeLists: [Int32] = []
    private var ids = CitedIDStore()

    init(keepHours: Int64) { self.keepHours = keepHours }

    /// Chunks of id bytes still referenced (tests).
    var storedIDChunks: Int { ids.liveChunks }

    @inline(__always) private static func key(_ cell: GridCell) -> UInt64 {
        UInt64(UInt32(bitPattern: cell.x)) << 32 | UInt64(UInt32(bitPattern: cell.y))
    }

    mutating func append(cell: GridCell, hour: Int64, category: UInt16, id: String) {
        let key = Self.key(cell)
        let at: Int
        if let i = index[key] {
            at = Int(i)
        } else if let reused = freeLists.popLast() {
            at = Int(reused)
            index.set(key, reused)
        } else {
            at = lists.count
            lists.append([])
            index.set(key, Int32(at))
        }
        let kept = Kept(hour: hour, id: ids.store(id), category: category)
        Self.push(kept, oldest: hour - keepHours, onto: &lists[at], ids: &ids)
    }

    /// Appends; when the first entry is too old or the list is over its cap, drops every too-old
    /// entry, then the earliest arrivals over the cap (their ids released).
    private static func push(_ entry: Kept, oldest: Int64, onto list: inout [Kept], ids: inout CitedIDStore) {
        list.append(entry)
        guard list[0].hour <= oldest || list.count > perCell else { return }
        var kept = 0
        for i in list.indices {
            if list[i].hour <= oldest {
                ids.release(list[i].id)
            } else {
                list[kept] = list[i]
                kept += 1
            }
        }
        list.removeLast(list.count - kept)
        if list.count > perCell {
            let over = list.count - perCell
            for i in 0..<over { ids.release(list[i].id) }
            list.removeFirst(over)
        }
    }

    /// Incidents of `layer` (0: all) in `cells` with hour in (endHour − hours, endHour], oldest first.
    func entries(in cells: [GridCell], layer: UInt16, endHour: Int64, hours: Int64) -> [Entry] {
        var out: [Entry] = []
        for c in cells {
            guard let i = index[Self.key(c)] else { continue }
            for e in lists[Int(i)] where e.hour > endHour - hours && e.hour <= endHour && (layer == 0 || e.category + 1 == layer) {
                out.append(Entry(hour: e.hour, category: e.category, id: ids.string(e.id)))
            }
        }
        return out.sorted { ($0.hour, $0.id) < ($1.hour, $1.id) }
    }

    /// What an alert states of the incidents `entries(in:layer:endHour:hours:)` lists: how many of
    /// each category, and the ids of the `newest` last in that list's order. Only those ids are
    /// read back as strings (a busy cylinder holds hundreds of incidents; an alert cites 16).
    func citations(
        in cells: [GridCell], layer: UInt16, endHour: Int64, hours: Int64, newest: Int
    ) -> (perCategory: [UInt16: Int], ids: [String]) {
        var matching: [Kept] = []
        for c in cells {
            guard let i = index[Self.key(c)] else { continue }
            for e in lists[Int(i)] where e.hour > endHour - hours && e.hour <= endHour && (layer == 0 || e.category + 1 == layer) {
                matching.append(e)
            }
        }
        var perCategory: [UInt16: Int] = [:]
        for e in matching { perCategory[e.category, default: 0] += 1 }
        guard newest > 0, !matching.isEmpty else { return (perCategory, []) }
        // The list is ordered by hour first: its last `newest` all have an hour at least that of
        // the `newest`-th latest, so only those are ordered by id too.
        let hours = matching.map(\.hour).sorted()
        let from = hours[max(0, hours.count - newest)]
        let last = matching.filter { $0.hour >= from }.map { (hour: $0.hour, id: ids.string($0.id)) }
            .sorted { ($0.hour, $0.id) < ($1.hour, $1.id) }
        return (perCategory, last.suffix(newest).map(\.id))
    }

    /// Drops cells whose newest incident is older than the cylinders reach (their lists, emptied
    /// with their capacity kept, wait for the next new cell).
    mutating func expire(currentHour: Int64) {
        for (key, slot) in index.pairs {
            let i = Int(slot)
            guard !(lists[i].last.map { $0.hour > currentHour - keepHours } ?? false) else { continue }
            for e in lists[i] { ids.release(e.id) }
            lists[i].removeAll(keepingCapacity: true)
            _ = index.remove(key)
            freeLists.append(slot)
        }
    }
}
