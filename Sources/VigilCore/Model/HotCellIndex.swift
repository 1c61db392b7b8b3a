/// The latest hotspot evaluation, indexed by cell for per-incident features (rebuilt once per
/// evaluation, read per incident: ten lookups per incident, the incident's cell and its 3×3 block).
///
/// Cells sit in a `SlotMap` (one multiply per lookup instead of SipHash over a `GridCell`), and a
/// bounding box of the hot cells answers most lookups, far from any hotspot, without hashing.
struct HotCellIndex: Sendable {
    struct Entry: Sendable {
        var giStar: Double
        var hotspotCells: Int
        var intensity: Double
        var openedAt: Int64
    }

    let evaluatedAt: Timestamp
    private var list: [(cell: GridCell, entry: Entry)] = []
    private var index = SlotMap()
    private var minX = Int32.max
    private var maxX = Int32.min
    private var minY = Int32.max
    private var maxY = Int32.min

    init(_ snapshot: HotspotSnapshot) {
        evaluatedAt = snapshot.evaluatedAt
        let cells = snapshot.hotspots.reduce(0) { $0 + $1.cells.count }
        index = SlotMap(capacity: cells)
        list.reserveCapacity(cells)
        for h in snapshot.hotspots {
            for c in h.cells {
                let entry = Entry(giStar: 0, hotspotCells: h.cells.count, intensity: h.intensity, openedAt: h.openedAt.milliseconds)
                // A cell listed by two hotspots keeps the later one (as a dictionary write would).
                let key = AggregateKey.cell(c)
                if let i = index[key] {
                    list[Int(i)] = (c, entry)
                } else {
                    index.set(key, Int32(list.count))
                    list.append((c, entry))
                }
                minX = min(minX, c.x)
                maxX = max(maxX, c.x)
                minY = min(minY, c.y)
                maxY = max(maxY, c.y)
            }
        }
        // Gi* of the hotspot cells (0 for a hotspot cell not in the hot list), looked up in the
        // index just built rather than through a dictionary of every hot cell: this runs once per
        // evaluation and partition, and the dictionary's hashing and growth were most of it.
        for c in snapshot.giStar.hot {
            if let i = index[AggregateKey.cell(c.cell)], list[Int(i)].cell == c.cell { list[Int(i)].entry.giStar = c.giStar }
        }
    }

    /// How many cells the index holds.
    var count: Int { list.count }

    /// The hotspot entry of `cell`, or nil when the cell is in no hotspot.
    @inline(__always) subscript(cell: GridCell) -> Entry? {
        guard cell.x >= minX, cell.x <= maxX, cell.y >= minY, cell.y <= maxY, let i = index[AggregateKey.cell(cell)] else { return nil }
        let found = list[Int(i)]
        return found.cell == cell ? found.entry : nil  // the packed key keeps 22 bits per axis
    }
}
