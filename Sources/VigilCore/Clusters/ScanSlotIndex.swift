/// Finds the scan's slot for a (cell, layer) key with one hashed lookup per 8×8 tile of cells
/// instead of one per cell: a disc of 29 cells touches at most four tiles, and the last tile
/// looked up is remembered, so an evaluation costs a handful of lookups, not 29.
///
/// Tiles exist only where slots do (memory follows activity, not the grid's area); a tile whose
/// slots were all freed is released.
struct ScanSlotIndex: Sendable {
    static let tileShift: Int32 = 3
    static let tileSide = 1 << Int(tileShift)
    static let tileCells = tileSide * tileSide
    static let none: Int32 = -1

    private var tiles: [UInt64: Int32] = [:]
    private var cells: [Int32] = []  // tileCells entries per tile: slot or `none`
    private var liveInTile: [Int32] = []
    private var freeTiles: [Int32] = []
    /// Where each slot sits: tile index × tileCells + position (for freeing).
    private var location: [Int32] = []
    private var memoKey = UInt64.max
    private var memoTile = ScanSlotIndex.none

    @inline(__always) static func tileKey(_ cell: GridCell, layer: UInt16) -> UInt64 {
        let tx = UInt32(bitPattern: cell.x >> tileShift) & 0xFF_FFFF
        let ty = UInt32(bitPattern: cell.y >> tileShift) & 0xFF_FFFF
        return (UInt64(tx) << 40) | (UInt64(ty) << 16) | UInt64(layer)
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
            tiles[key] = tile
        } else {
            tile = Int32(liveInTile.count)
            cells.append(contentsOf: repeatElement(Self.none, count: Self.tileCells))
            liveInTile.append(0)
            tiles[key] = tile
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
            tiles[Self.tileKey(cell, layer: layer)] = nil
            freeTiles.append(Int32(tile))
        }
        memoKey = UInt64.max
    }
}
