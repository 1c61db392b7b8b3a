/// The latest hotspot evaluation, indexed by cell for per-incident features (rebuilt once per
/// evaluation, read per incident).
struct HotCellIndex: Sendable {
    struct Entry: Sendable {
        var giStar: Double
        var hotspotCells: Int
        var intensity: Double
        var openedAt: Int64
    }

    let evaluatedAt: Timestamp
    var entries: [GridCell: Entry] = [:]

    init(_ snapshot: HotspotSnapshot) {
        evaluatedAt = snapshot.evaluatedAt
        var gi: [GridCell: Double] = [:]
        for c in snapshot.giStar.hot { gi[c.cell] = c.giStar }
        for h in snapshot.hotspots {
            for c in h.cells {
                entries[c] = Entry(
                    giStar: gi[c] ?? 0, hotspotCells: h.cells.count, intensity: h.intensity, openedAt: h.openedAt.milliseconds)
            }
        }
    }
}
