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

    /// A cell's incidents, oldest first: `entries[dropped...]`. The first `dropped` entries left
    /// the list but are removed from the array only when as many as `perCell` have gathered. Why:
    /// a busy cell's list is full, and each incident used to shift the whole list by one to drop
    /// its oldest entry (2 KB moved per incident at 20× Toronto's density). The array holds at most
    /// `2 * perCell` entries, the capacity a list over its cap had already.
    struct CellList: Sendable {
        var entries: [Entry] = []
        var dropped = 0

        var count: Int { entries.count - dropped }
        var newest: Entry? { count > 0 ? entries.last : nil }
        var live: ArraySlice<Entry> { entries[dropped...] }

        /// Forgets every entry, keeping the array's capacity.
        mutating func clear() {
            entries.removeAll(keepingCapacity: true)
            dropped = 0
        }

        /// Removes the dropped entries from the array.
        mutating func compact() {
            entries.removeSubrange(..<dropped)
            dropped = 0
        }
    }

    static let perCell = 64
    let keepHours: Int64
    /// Cell key → index into `lists`.
    private var index = SlotMap<Int32>()
    private var lists: [CellList] = []
    private var freeLists: [Int32] = []

    init(keepHours: Int64) { self.keepHours = keepHours }

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
            lists.append(CellList())
            index.set(key, Int32(at))
        }
        Self.push(Entry(hour: hour, category: category, id: id), oldest: hour - keepHours, onto: &lists[at])
    }

    /// Appends `entry`; then, when the oldest entry is at or before `oldest` or the list is over
    /// `perCell`, removes every entry at or before `oldest` and then the oldest ones beyond `perCell`.
    private static func push(_ entry: Entry, oldest: Int64, onto list: inout CellList) {
        list.entries.append(entry)
        if list.entries[list.dropped].hour <= oldest || list.count > perCell {
            if list.live.contains(where: { $0.hour <= oldest }) {
                list.compact()
                list.entries.removeAll { $0.hour <= oldest }
            }
            if list.count > perCell { list.dropped += list.count - perCell }
            if list.dropped >= perCell { list.compact() }
        }
    }

    /// Incidents of `layer` (0: all) in `cells` with hour in (endHour − hours, endHour], oldest first.
    func entries(in cells: [GridCell], layer: UInt16, endHour: Int64, hours: Int64) -> [Entry] {
        var out: [Entry] = []
        for c in cells {
            guard let i = index[Self.key(c)] else { continue }
            for e in lists[Int(i)].live where e.hour > endHour - hours && e.hour <= endHour && (layer == 0 || e.category + 1 == layer) {
                out.append(e)
            }
        }
        return out.sorted { ($0.hour, $0.id) < ($1.hour, $1.id) }
    }

    /// Drops cells whose newest incident is older than the cylinders reach (their lists, emptied
    /// with their capacity kept, wait for the next new cell).
    mutating func expire(currentHour: Int64) {
        for (key, slot) in index.pairs {
            let i = Int(slot)
            guard !(lists[i].newest.map { $0.hour > currentHour - keepHours } ?? false) else { continue }
            lists[i].clear()
            _ = index.remove(key)
            freeLists.append(slot)
        }
    }
}
