/// The ids of each cell's recent incidents (the longest cylinder plus lateness), only so that an
/// alert can cite the incidents behind it. Capped per cell; not read on the counting path.
struct RecentIncidents: Sendable {
    struct Entry: Sendable {
        var hour: Int64
        var category: UInt16
        var id: String
    }

    static let perCell = 64
    let keepHours: Int64
    private var cells: [GridCell: [Entry]] = [:]

    init(keepHours: Int64) { self.keepHours = keepHours }

    mutating func append(cell: GridCell, hour: Int64, category: UInt16, id: String) {
        // One hashed access: the cell's list is mutated in place through the dictionary's accessor.
        Self.push(Entry(hour: hour, category: category, id: id), oldest: hour - keepHours, onto: &cells[cell, default: []])
    }

    private static func push(_ entry: Entry, oldest: Int64, onto list: inout [Entry]) {
        list.append(entry)
        if list[0].hour <= oldest || list.count > perCell {
            list.removeAll { $0.hour <= oldest }
            if list.count > perCell { list.removeFirst(list.count - perCell) }
        }
    }

    /// Incidents of `layer` (0: all) in `cells` with hour in (endHour − hours, endHour], oldest first.
    func entries(in cells: [GridCell], layer: UInt16, endHour: Int64, hours: Int64) -> [Entry] {
        var out: [Entry] = []
        for c in cells {
            for e in self.cells[c] ?? [] where e.hour > endHour - hours && e.hour <= endHour && (layer == 0 || e.category + 1 == layer) {
                out.append(e)
            }
        }
        return out.sorted { ($0.hour, $0.id) < ($1.hour, $1.id) }
    }

    /// Drops cells whose newest incident is older than the cylinders reach.
    mutating func expire(currentHour: Int64) {
        cells = cells.filter { $0.value.last.map { $0.hour > currentHour - keepHours } ?? false }
    }
}
