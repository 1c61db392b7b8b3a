/// Finds the scan's slot for a (cell, layer) key with one hashed lookup per 8×8 tile of cells
/// instead of one per cell: a disc of 29 cells touches at most four tiles, and the last tile
/// looked up is remembered, so an evaluation costs a handful of lookups, not 29.
///
/// Tiles exist only where slots do (memory follows activity, not the grid's area); a tile whose
/// slots were all freed is released. A slot's location (tile index × 64 + position) is stable while
/// it lives, so the count table keeps the fields an evaluation reads of every disc cell by location:
/// the cells of a disc column are neighbours in memory. An evaluation resolves the tiles of its
/// disc's bounding square once (`beginWindow`) and then finds each cell without hashing.
struct ScanSlotIndex: Sendable {
    static let tileShift: Int32 = 3
    static let tileSide = 1 << Int(tileShift)
    static let tileCells = tileSide * tileSide
    /// log2(tileCells): a location's tile is `location >> tileCellShift`.
    static let tileCellShift = 2 * Int(tileShift)
    static let none: Int32 = -1

    /// Tile key → tile index (Fibonacci-hashed: a lookup costs a multiply, not SipHash).
    private var tiles = SlotMap<Int32>()
    private var cells: [Int32] = []  // tileCells entries per tile: slot or `none`
    private var liveInTile: [Int32] = []
    private var freeTiles: [Int32] = []
    /// Where each slot sits: tile index × tileCells + position (for freeing).
    private var location: [Int32] = []
    private var memoKey = UInt64.max
    private var memoTile = ScanSlotIndex.none
    /// The window: tiles of the square `beginWindow` resolved, column-major from (windowX, windowY),
    /// in the first `windowTileCount` entries. Sized once for the largest square seen and then
    /// overwritten in place: emptied and appended to per evaluation (the emptying, and a uniqueness
    /// and capacity check per tile), a window cost ~340 instructions; in place, ~225.
    private(set) var windowTiles: [Int32] = []
    /// How many of `windowTiles` the window uses (0 when it wraps).
    private(set) var windowTileCount = 0
    /// The window's first tile column and row, and its number of rows.
    private(set) var windowX: Int32 = 0
    private(set) var windowY: Int32 = 0
    private(set) var windowHeight = 0
    private var windowLayer: UInt16 = 0
    /// True when the window's square reaches past Int32 (`windowTileCount` is then 0).
    private(set) var windowWraps = false

    /// Locations that exist (used or free): `tileCells` per tile ever allocated.
    var locationCount: Int { cells.count }

    /// The location of a live `slot`.
    @inline(__always) func location(ofSlot slot: Int32) -> Int { Int(location[Int(slot)]) }

    /// The location `cell` has in `layer` (whether or not a slot is there), or -1 when its tile
    /// has none; the last tile looked up is remembered, as in `slot(_:layer:)`.
    @inline(__always) mutating func location(_ cell: GridCell, layer: UInt16) -> Int {
        let key = Self.tileKey(cell, layer: layer)
        if key != memoKey {
            memoKey = key
            memoTile = tiles[key] ?? Self.none
        }
        guard memoTile != Self.none else { return -1 }
        return Int(memoTile) * Self.tileCells + Self.position(cell)
    }

    /// The slot at a location (`none` when free).
    @inline(__always) func slot(atLocation at: Int) -> Int32 { cells[at] }

    @inline(__always) static func tileKey(tileX: Int32, tileY: Int32, layer: UInt16) -> UInt64 {
        let tx = UInt32(bitPattern: tileX) & 0xFF_FFFF
        let ty = UInt32(bitPattern: tileY) & 0xFF_FFFF
        return (UInt64(tx) << 40) | (UInt64(ty) << 16) | UInt64(layer)
    }

    /// Resolves, with one hashed lookup per tile, the tiles of `layer` under the square of cells
    /// within `radius` (Chebyshev) of `centre`, for `windowLocation`.
    mutating func beginWindow(centre: GridCell, radius: Int32, layer: UInt16) {
        windowLayer = layer
        let r = Int64(radius)
        windowWraps =
            Int64(centre.x) - r < Int64(Int32.min) || Int64(centre.x) + r > Int64(Int32.max)
            || Int64(centre.y) - r < Int64(Int32.min) || Int64(centre.y) + r > Int64(Int32.max)
        guard !windowWraps else {
            windowTileCount = 0
            return
        }
        let x0 = (centre.x - radius) >> Self.tileShift
        let x1 = (centre.x + radius) >> Self.tileShift
        let y0 = (centre.y - radius) >> Self.tileShift
        let y1 = (centre.y + radius) >> Self.tileShift
        windowX = x0
        windowY = y0
        let height = Int(y1 - y0) + 1
        windowHeight = height
        let count = (Int(x1 - x0) + 1) * height
        windowTileCount = count
        if windowTiles.count < count { windowTiles = [Int32](repeating: Self.none, count: count) }
        windowTiles.withUnsafeMutableBufferPointer { window in
            var i = 0
            for tx in x0...x1 {
                for ty in y0...y1 {
                    window[i] = tiles[Self.tileKey(tileX: tx, tileY: ty, layer: layer)] ?? Self.none
                    i &+= 1
                }
            }
        }
    }

    /// The location `cell` has in the window's layer (whether or not a slot is there: the caller's
    /// per-location state says), or -1 when its tile has none; `cell` must lie in the square of the
    /// last `beginWindow` (cells of coordinates that wrap are looked up by hash).
    @inline(__always) func windowLocation(_ cell: GridCell) -> Int {
        let tile: Int32
        if windowWraps {
            tile = tiles[Self.tileKey(cell, layer: windowLayer)] ?? Self.none
        } else {
            let column = Int((cell.x >> Self.tileShift) - windowX)
            tile = windowTiles[column * windowHeight + Int((cell.y >> Self.tileShift) - windowY)]
        }
        guard tile != Self.none else { return -1 }
        return Int(tile) * Self.tileCells + Self.position(cell)
    }

    @inline(__always) static func tileKey(_ cell: GridCell, layer: UInt16) -> UInt64 {
        tileKey(tileX: cell.x >> tileShift, tileY: cell.y >> tileShift, layer: layer)
    }

    @inline(__always) static func position(_ cell: GridCell) -> Int {
        Int(cell.x & Int32(tileSide - 1)) * tileSide + Int(cell.y & Int32(tileSide - 1))
    }

    /// The slot of `cell` in `layer`, nil when none.
    @inline(__always) mutating func slot(_ cell: GridCell, layer: UInt16) -> Int32? {
        let key = Self.tileKey(cell, layer: layer)
        if key != memoKey {
            memoKey = key
            memoTile = tiles[key] ?? Self.none
        }
        guard memoTile != Self.none else { return nil }
        let s = cells[Int(memoTile) * Self.tileCells + Self.position(cell)]
        return s == Self.none ? nil : s
    }

    /// Records `slot` as the slot of `cell` in `layer` (the cell has none).
    mutating func insert(_ slot: Int32, cell: GridCell, layer: UInt16) {
        let key = Self.tileKey(cell, layer: layer)
        let tile: Int32
        if let t = tiles[key] {
            tile = t
        } else if let reused = freeTiles.popLast() {
            tile = reused
            tiles.set(key, tile)
        } else {
            tile = Int32(liveInTile.count)
            cells.append(repeating: Self.none, count: Self.tileCells)
            liveInTile.append(0)
            tiles.set(key, tile)
        }
        let at = Int(tile) * Self.tileCells + Self.position(cell)
        cells[at] = slot
        liveInTile[Int(tile)] += 1
        while location.count <= Int(slot) { location.append(Self.none) }
        location[Int(slot)] = Int32(at)
        memoKey = UInt64.max
    }

    /// Forgets `slot` (of `cell` in `layer`); releases its tile when it was the tile's last.
    mutating func remove(_ slot: Int32, cell: GridCell, layer: UInt16) {
        let at = Int(location[Int(slot)])
        cells[at] = Self.none
        location[Int(slot)] = Self.none
        let tile = at / Self.tileCells
        liveInTile[tile] -= 1
        if liveInTile[tile] == 0 {
            tiles.remove(Self.tileKey(cell, layer: layer))
            freeTiles.append(Int32(tile))
        }
        memoKey = UInt64.max
    }
}
