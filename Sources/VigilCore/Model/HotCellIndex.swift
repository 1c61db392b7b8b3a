/// The latest hotspot evaluation, indexed by cell for per-incident features (rebuilt once per
/// evaluation, read per incident).
///
/// One hash lookup per incident: every cell within one ring of a hot hotspot cell has an entry
/// holding its own hotspot data (if it is one of those cells) and how many of the 3×3 block
/// around it are hotspot cells, so the features need no neighbour lookups.
struct HotCellIndex: Sendable {
    struct Entry: Sendable {
        var giStar: Double
        var hotspotCells: Int
        var intensity: Double
        var openedAt: Int64
    }

    struct Near: Sendable {
        /// The cell's own hotspot data, nil when the cell is not in a hotspot.
        var entry: Entry?
        /// Hotspot cells in the 3×3 block around the cell, the cell included.
        var count: Int
    }

    let evaluatedAt: Timestamp
    private(set) var cells: [GridCell: Near] = [:]

    init(_ snapshot: HotspotSnapshot) {
        evaluatedAt = snapshot.evaluatedAt
        var gi: [GridCell: Double] = [:]
        for c in snapshot.giStar.hot { gi[c.cell] = c.giStar }
        var entries: [GridCell: Entry] = [:]
        for h in snapshot.hotspots {
            for c in h.cells {
                entries[c] = Entry(giStar: gi[c] ?? 0, hotspotCells: h.cells.count, intensity: h.intensity, openedAt: h.openedAt.milliseconds)
            }
        }
        for (c, entry) in entries {
            cells[c, default: Near(entry: nil, count: 0)].entry = entry
            for dx in Int32(-1)...1 { for dy in Int32(-1)...1 { cells[GridCell(x: c.x + dx, y: c.y + dy), default: Near(entry: nil, count: 0)].count += 1 } }
        }
    }

    /// The cell's hotspot data and hotspot neighbours (nil: no hotspot cell within one ring).
    @inline(__always) func near(_ cell: GridCell) -> Near? { cells[cell] }
}
