/// The latest hotspot evaluation, indexed by cell for per-incident features (written once per
/// evaluation, read per incident: ten lookups per incident, the incident's cell and its 3×3 block).
///
/// Each indexed cell has a place (its position in `placed`), found through tiles (`CellTiles`) over
/// a box covering the cells: a lookup is two array reads. A place holds the cell's Gi* and its
/// hotspot; what a hotspot's cells share (size, intensity, opening time) is stored once.
///
/// Two writers give the same answers (tested against each other):
/// - `update(_:)` indexes a snapshot's hotspots, for an engine that did not keep the index at
///   the evaluation (no model then);
/// - the hotspot tracker keeps it during an evaluation (`place`, `setOwners`, `setHotspots`): it
///   places the hot cells, and uses the places as its own cell → component map, so the index costs
///   the evaluation almost nothing beyond what matching hotspots already did. Rebuilding it from
///   the snapshot afterwards was 6.6 % of a partition's engine instructions and ~3 % of the CPU
///   of `vigil run` (once per day and partition).
///
/// The box is kept, and only the previous cells cleared, while the new cells fit in it; when they
/// do not, it grows to cover both, so it settles on the area hotspots occur in (a box fitted to
/// each evaluation's cells was rebuilt, its tiles allocated and filled, one evaluation in eight).
struct HotCellIndex: Sendable {
    struct Entry: Sendable {
        var giStar: Double
        var hotspotCells: Int
        var intensity: Double
        var openedAt: Int64
    }

    /// What every cell of one hotspot shares.
    private struct Shared: Sendable {
        var hotspotCells: Int
        var intensity: Double
        var openedAt: Int64
    }

    private(set) var evaluatedAt: Timestamp
    /// The indexed cells with their Gi* (0 for a hotspot cell not in the hot list), by place: the
    /// evaluation's hot list itself when the tracker placed them (shared, not copied).
    private var placed: [GiStarResult.Cell] = []
    /// Per place: its hotspot, an index into `shared`.
    private var owners: [Int32] = []
    private var shared: [Shared] = []
    /// Each cell's place (-1: none), for cells `origin` + (0..<columns, 0..<rows).
    private var position = CellTiles(columns: 0, rows: 0, fill: -1)
    private var originX: Int32 = 0
    private var originY: Int32 = 0
    /// The indexed cells' bounding box: lookups outside it answer at once.
    private var minX = Int32.max
    private var maxX = Int32.min
    private var minY = Int32.max
    private var maxY = Int32.min

    /// An empty index.
    init() { evaluatedAt = Timestamp(milliseconds: 0) }

    init(_ snapshot: HotspotSnapshot) {
        self.init()
        update(snapshot)
    }

    /// How many cells the index holds.
    var count: Int { placed.count }

    /// Replaces the contents with `snapshot`'s hotspot cells. A cell listed by two hotspots keeps
    /// the later one (as a dictionary write would).
    mutating func update(_ snapshot: HotspotSnapshot) {
        var box = Box()
        for h in snapshot.hotspots { for c in h.cells { box.include(c) } }
        begin(box, at: snapshot.evaluatedAt)
        for (hi, h) in snapshot.hotspots.enumerated() {
            for c in h.cells {
                let x = Int(c.x - originX)
                let y = Int(c.y - originY)
                let i = position[x: x, y: y]
                if i >= 0 {
                    owners[Int(i)] = Int32(hi)
                } else {
                    position[x: x, y: y] = Int32(placed.count)
                    placed.append(GiStarResult.Cell(cell: c, count: 0, localSum: 0, giStar: 0))
                    owners.append(Int32(hi))
                }
            }
        }
        // Gi* of the hotspot cells (0 for a hotspot cell not in the hot list).
        for c in snapshot.giStar.hot {
            let i = place(of: c.cell)
            if i >= 0 { placed[i].giStar = c.giStar }
        }
        setHotspots(snapshot.hotspots)
    }

    /// Replaces the contents with the hot cells `hot` (distinct), each at its index in `hot` as
    /// its place, with its Gi*; their hotspots follow (`setOwners`, then `setHotspots`).
    mutating func place(_ hot: [GiStarResult.Cell], at time: Timestamp) {
        var box = Box()
        for c in hot { box.include(c.cell) }
        begin(box, at: time)
        let (ox, oy) = (originX, originY)
        hot.withUnsafeBufferPointer { hot in
            position.setEach(count: hot.count) { k in
                let c = hot[k].cell
                return (Int(c.x &- ox), Int(c.y &- oy), Int32(truncatingIfNeeded: k))
            }
        }
        placed = hot
    }

    /// Sets every place's hotspot at once: `owners[place]` (an index into the `setHotspots`
    /// list), one per place.
    mutating func setOwners(_ owners: [Int32]) {
        precondition(owners.count == placed.count)
        self.owners = owners
    }

    /// The place of `cell`, or -1 when it is not indexed.
    @inline(__always) func place(of cell: GridCell) -> Int {
        withPlaces { $0.place(of: cell) }
    }

    /// Finds places through the tiles' memory (see `withPlaces`).
    struct PlaceReader {
        fileprivate let position: CellTiles.Reader
        fileprivate let originX: Int32
        fileprivate let originY: Int32
        fileprivate let minX: Int32
        fileprivate let maxX: Int32
        fileprivate let minY: Int32
        fileprivate let maxY: Int32

        /// The place of `cell`, or -1 when it is not indexed (`HotCellIndex.place(of:)`).
        @inline(__always) func place(of cell: GridCell) -> Int {
            guard cell.x >= minX, cell.x <= maxX, cell.y >= minY, cell.y <= maxY else { return -1 }
            return Int(position[x: Int(cell.x &- originX), y: Int(cell.y &- originY)])
        }
    }

    /// Runs `body` with a reader of the places: the tracker looks up every cell of the previous
    /// hotspots each evaluation, and each `place(of:)` checked two arrays' bounds.
    @inline(__always) func withPlaces<R>(_ body: (PlaceReader) throws -> R) rethrows -> R {
        try position.withReader { tiles in
            try body(
                PlaceReader(position: tiles, originX: originX, originY: originY, minX: minX, maxX: maxX, minY: minY, maxY: maxY))
        }
    }

    /// The hotspot of the cell at `place` (an index into the `setHotspots` list).
    @inline(__always) func owner(ofPlace place: Int) -> Int32 { owners[place] }

    /// What each hotspot's cells share, by the owner numbers given to `setOwners`.
    mutating func setHotspots(_ hotspots: [Hotspot]) {
        shared.removeAll(keepingCapacity: true)
        shared.reserveCapacity(hotspots.count)
        for h in hotspots {
            shared.append(Shared(hotspotCells: h.cells.count, intensity: h.intensity, openedAt: h.openedAt.milliseconds))
        }
    }

    /// Whether `cell` is in a hotspot.
    @inline(__always) func contains(_ cell: GridCell) -> Bool { place(of: cell) >= 0 }

    /// The hotspot entry of `cell`, or nil when the cell is in no hotspot.
    @inline(__always) subscript(cell: GridCell) -> Entry? {
        let i = place(of: cell)
        guard i >= 0 else { return nil }
        let s = shared[Int(owners[i])]
        return Entry(giStar: placed[i].giStar, hotspotCells: s.hotspotCells, intensity: s.intensity, openedAt: s.openedAt)
    }

    /// A bounding box of cells being collected.
    private struct Box {
        var x0 = Int32.max
        var x1 = Int32.min
        var y0 = Int32.max
        var y1 = Int32.min
        var isEmpty: Bool { x0 > x1 }

        @inline(__always) mutating func include(_ c: GridCell) {
            x0 = min(x0, c.x)
            x1 = max(x1, c.x)
            y0 = min(y0, c.y)
            y1 = max(y1, c.y)
        }
    }

    /// Clears the previous cells' places and makes the tiles cover `box`.
    private mutating func begin(_ box: Box, at time: Timestamp) {
        evaluatedAt = time
        let fits =
            box.isEmpty
            || (box.x0 >= originX && box.y0 >= originY && Int(box.x1) - Int(originX) < position.columns
                && Int(box.y1) - Int(originY) < position.rows)
        if fits {
            let (ox, oy) = (originX, originY)
            placed.withUnsafeBufferPointer { old in
                position.setEach(count: old.count) { k in (Int(old[k].cell.x &- ox), Int(old[k].cell.y &- oy), -1) }
            }
        } else {
            let empty = position.columns == 0
            let ox = empty ? box.x0 : min(box.x0, originX)
            let oy = empty ? box.y0 : min(box.y0, originY)
            let ex = empty ? box.x1 : max(box.x1, originX + Int32(position.columns - 1))
            let ey = empty ? box.y1 : max(box.y1, originY + Int32(position.rows - 1))
            (originX, originY) = (ox, oy)
            position = CellTiles(columns: Int(ex) - Int(ox) + 1, rows: Int(ey) - Int(oy) + 1, fill: -1)
        }
        placed = []  // often the previous evaluation's hot list, shared with its snapshot
        owners.removeAll(keepingCapacity: true)
        (minX, maxX, minY, maxY) = (box.x0, box.x1, box.y0, box.y1)
    }
}
