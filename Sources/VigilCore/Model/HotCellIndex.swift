/// The latest hotspot evaluation, indexed by cell for per-incident features (updated once per
/// evaluation, read per incident: ten lookups per incident, the incident's cell and its 3×3 block).
///
/// Cells are placed on tiles (`CellTiles`) over the bounding box of the hotspot cells: a lookup is
/// two array reads, and an update writes one value per cell where a hash map hashed and probed
/// (most of this index's cost was building it, once per evaluation and partition). The box is
/// kept, and only the cells of the previous evaluation cleared, while the new cells fit in it.
struct HotCellIndex: Sendable {
    struct Entry: Sendable {
        var giStar: Double
        var hotspotCells: Int
        var intensity: Double
        var openedAt: Int64
    }

    private(set) var evaluatedAt: Timestamp
    private var list: [(cell: GridCell, entry: Entry)] = []
    /// Each cell's place in `list` (-1: none), for cells `origin` + (0..<columns, 0..<rows).
    private var position = CellTiles(columns: 0, rows: 0, fill: -1)
    private var originX: Int32 = 0
    private var originY: Int32 = 0
    private var minX = Int32.max
    private var maxX = Int32.min
    private var minY = Int32.max
    private var maxY = Int32.min

    init(_ snapshot: HotspotSnapshot) {
        evaluatedAt = snapshot.evaluatedAt
        update(snapshot)
    }

    /// Replaces the contents with `snapshot`'s hotspot cells, reusing the tiles when they fit.
    mutating func update(_ snapshot: HotspotSnapshot) {
        evaluatedAt = snapshot.evaluatedAt
        var x0 = Int32.max
        var x1 = Int32.min
        var y0 = Int32.max
        var y1 = Int32.min
        var cells = 0
        for h in snapshot.hotspots {
            cells += h.cells.count
            for c in h.cells {
                x0 = min(x0, c.x)
                x1 = max(x1, c.x)
                y0 = min(y0, c.y)
                y1 = max(y1, c.y)
            }
        }
        let fits =
            cells == 0
            || (x0 >= originX && y0 >= originY && Int(x1) - Int(originX) < position.columns && Int(y1) - Int(originY) < position.rows)
        if fits {
            for (c, _) in list { position[x: Int(c.x - originX), y: Int(c.y - originY)] = -1 }
        } else {
            originX = x0
            originY = y0
            position = CellTiles(columns: Int(x1) - Int(x0) + 1, rows: Int(y1) - Int(y0) + 1, fill: -1)
        }
        list.removeAll(keepingCapacity: true)
        list.reserveCapacity(cells)
        (minX, maxX, minY, maxY) = (x0, x1, y0, y1)
        for h in snapshot.hotspots {
            let entry = Entry(giStar: 0, hotspotCells: h.cells.count, intensity: h.intensity, openedAt: h.openedAt.milliseconds)
            for c in h.cells {
                let x = Int(c.x - originX)
                let y = Int(c.y - originY)
                // A cell listed by two hotspots keeps the later one (as a dictionary write would).
                let i = position[x: x, y: y]
                if i >= 0 {
                    list[Int(i)].entry = entry
                } else {
                    position[x: x, y: y] = Int32(list.count)
                    list.append((c, entry))
                }
            }
        }
        // Gi* of the hotspot cells (0 for a hotspot cell not in the hot list).
        for c in snapshot.giStar.hot where c.cell.x >= minX && c.cell.x <= maxX && c.cell.y >= minY && c.cell.y <= maxY {
            let i = position[x: Int(c.cell.x - originX), y: Int(c.cell.y - originY)]
            if i >= 0 { list[Int(i)].entry.giStar = c.giStar }
        }
    }

    /// How many cells the index holds.
    var count: Int { list.count }

    /// The hotspot entry of `cell`, or nil when the cell is in no hotspot.
    @inline(__always) subscript(cell: GridCell) -> Entry? {
        guard cell.x >= minX, cell.x <= maxX, cell.y >= minY, cell.y <= maxY else { return nil }
        let i = position[x: Int(cell.x - originX), y: Int(cell.y - originY)]
        return i >= 0 ? list[Int(i)].entry : nil
    }
}
