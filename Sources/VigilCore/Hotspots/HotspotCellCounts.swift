/// The hotspot window's per-cell counts, kept up to date as incidents arrive, so a hotspot
/// evaluation no longer walks every live cell's window, hashes cells or scans the grid.
///
/// Each counted incident is logged under its bucket (one packed cell per incident). Moving the
/// window end from `e` to `e'` adds the buckets entering it and subtracts those leaving it:
/// O(incidents that moved), not O(cells × buckets). Alongside the per-cell totals it keeps each
/// cell's 3×3 local sum and the integer sum and sum of squares, which is all Gi* needs; integer
/// arithmetic keeps the result identical to `GiStar.compute` over the same counts, whatever the
/// update order. The cells whose total changed are listed (`changed`) until the next evaluation
/// takes them (`GiStarHotSet`): only they and their neighbours can have entered or left the hot
/// set. Per-cell arrays are tiled (`CellTiles`), so memory follows the cells with incidents, not
/// the area of the bounding box.
struct HotspotCellCounts: Sendable {
    let spec: WindowSpec
    let columns: Int
    let rows: Int
    /// Events per cell with bucket in `(end - w, end]` (tiled: memory follows the cells with incidents).
    private(set) var totals: CellTiles
    /// Sum of `totals` over each cell's 3×3 block (clipped to the universe).
    private(set) var local: CellTiles
    private(set) var sum = 0
    private(set) var sumSquares = 0
    /// Cells (packed `x << 32 | y`) whose total changed since `clearChanged`, in no order and
    /// possibly repeated: the evaluation that follows re-tests them and their 3×3 neighbours only.
    private(set) var changed: [Int] = []
    /// The window end (bucket) the totals describe; nil before the first evaluation.
    private(set) var end: Int64?
    /// Cells (packed) of the incidents of each bucket that can still enter or leave the window.
    private var log: [Int64: [Int]] = [:]

    init(spec: WindowSpec, columns: Int32, rows: Int32) {
        self.spec = spec
        self.columns = Int(columns)
        self.rows = Int(rows)
        totals = CellTiles(columns: Int(columns), rows: Int(rows), fill: 0)
        local = totals
    }

    var universeSize: Int { columns * rows }

    /// Bytes held by the per-cell tiles (for memory reports and tests).
    var tileBytes: Int { totals.bytes + local.bytes }

    /// Forgets the changed cells (the hot set has taken them), keeping the list's capacity.
    mutating func clearChanged() { changed.removeAll(keepingCapacity: true) }

    @inline(__always) static func pack(_ x: Int, _ y: Int) -> Int { x << 32 | y }
    @inline(__always) static func unpack(_ p: Int) -> (x: Int, y: Int) { (p >> 32, p & 0xFFFF_FFFF) }

    /// Counts one incident of `cell` at `time` (cells outside the universe are not part of Gi*).
    mutating func add(_ cell: GridCell, at time: Timestamp) {
        guard cell.x >= 0, cell.y >= 0, Int(cell.x) < columns, Int(cell.y) < rows else { return }
        let bucket = spec.bucket(time)
        let w = Int64(spec.buckets)
        let packed = Self.pack(Int(cell.x), Int(cell.y))
        if let end {
            guard bucket > end - w else { return }  // can never be inside a later window
            if bucket <= end { apply(packed, 1) }
        }
        log[bucket, default: []].append(packed)
    }

    /// Moves the window to end at bucket `newEnd`. Returns false (totals unchanged) for a move
    /// backwards past what the log still holds; the caller then counts from the window table.
    mutating func advance(to newEnd: Int64) -> Bool {
        let w = Int64(spec.buckets)
        guard let old = end else {
            for (bucket, cells) in log where bucket > newEnd - w && bucket <= newEnd { for p in cells { apply(p, 1) } }
            end = newEnd
            prune()
            return true
        }
        guard newEnd >= old else { return false }
        guard newEnd > old else { return true }
        for (bucket, cells) in log {
            let wasIn = bucket > old - w && bucket <= old
            let isIn = bucket > newEnd - w && bucket <= newEnd
            if wasIn == isIn { continue }
            let delta: Int32 = isIn ? 1 : -1
            for p in cells { apply(p, delta) }
        }
        end = newEnd
        prune()
        return true
    }

    private mutating func prune() {
        guard let end else { return }
        let w = Int64(spec.buckets)
        // The keys first, then the removals: removing while iterating `log.keys` copied the whole
        // log (every bucket's array retained, then released) at each evaluation.
        let expired = log.keys.filter { $0 <= end - w }
        for bucket in expired { log[bucket] = nil }
    }

    @inline(__always) private mutating func apply(_ packed: Int, _ delta: Int32) {
        let (cx, cy) = Self.unpack(packed)
        let t = Int(totals.add(delta, x: cx, y: cy)) - Int(delta)
        sum += Int(delta)
        sumSquares += delta > 0 ? 2 * t + 1 : 1 - 2 * t
        local.addBlock(delta, xs: max(0, cx - 1)...min(columns - 1, cx + 1), ys: max(0, cy - 1)...min(rows - 1, cy + 1))
        changed.append(packed)
    }

    /// The cells with a non-zero count, as `GiStar.compute` takes them (for tests and fallbacks).
    var nonZero: [(GridCell, Int)] {
        var out: [(GridCell, Int)] = []
        totals.forEachSet { x, y, t in out.append((GridCell(x: Int32(x), y: Int32(y)), Int(t))) }
        return out
    }
}
