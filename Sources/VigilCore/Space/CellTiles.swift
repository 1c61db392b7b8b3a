/// A grid-sized array of `Int32` per cell whose memory follows the cells that were written, not
/// the grid's area: the grid is cut into 32×32-cell tiles and a tile is allocated on its first
/// write. Reads of an unallocated tile return `fill`.
///
/// Why: a deployment's bounding box may cover a province or a country (a regional fusion centre),
/// where dense per-cell arrays at 250 m would need gigabytes per partition while incidents touch a
/// few thousand cells. The tile directory is the only area-sized part (4 bytes per 1,024 cells:
/// 1.3 MB for all of Canada at 250 m). Indexing is arithmetic (shifts and masks), no hashing, so
/// the hot paths that used dense arrays keep their cost.
struct CellTiles: Sendable {
    static let shift = 5
    static let side = 1 << shift
    static let tileCells = side * side
    static let mask = side - 1

    let columns: Int
    let rows: Int
    /// The value of every cell never written.
    let fill: Int32
    private let tileColumns: Int
    /// Per tile: its offset in `storage` divided by `tileCells`, or -1 while unallocated.
    private var directory: [Int32]
    private var storage: [Int32] = []

    init(columns: Int, rows: Int, fill: Int32) {
        precondition(columns >= 0 && rows >= 0)
        self.columns = columns
        self.rows = rows
        self.fill = fill
        tileColumns = (columns + Self.mask) >> Self.shift
        let tileRows = (rows + Self.mask) >> Self.shift
        directory = Array(repeating: -1, count: tileColumns * tileRows)
    }

    /// Tiles holding memory (each `tileCells` values).
    var allocatedTiles: Int { storage.count / Self.tileCells }

    /// Bytes held: directory and tiles.
    var bytes: Int { (directory.count + storage.count) * MemoryLayout<Int32>.stride }

    @inline(__always) private func tile(_ x: Int, _ y: Int) -> Int { (y >> Self.shift) * tileColumns + (x >> Self.shift) }
    @inline(__always) private static func offset(_ x: Int, _ y: Int) -> Int { ((y & mask) << shift) | (x & mask) }

    /// The value at column `x`, row `y` (inside the grid).
    @inline(__always) subscript(x x: Int, y y: Int) -> Int32 {
        get { withReader { $0[x: x, y: y] } }
        set {
            let i = storageIndex(x, y)
            storage[i] = newValue
        }
    }

    /// Adds `delta` to the cell and returns the new value.
    @inline(__always) @discardableResult
    mutating func add(_ delta: Int32, x: Int, y: Int) -> Int32 {
        let i = storageIndex(x, y)
        return storage.withUnsafeMutableBufferPointer { s in
            s[i] &+= delta
            return s[i]
        }
    }

    /// Adds `delta` to every cell of the block `xs × ys` (inside the grid, at most `side` cells
    /// a side, so it touches at most two tiles per axis): its tiles are allocated first, then
    /// every cell is added through one pointer, instead of one exclusive access per cell (the
    /// hotspot counts add each incident moved by the window to its 3×3 block).
    mutating func addBlock(_ delta: Int32, xs: ClosedRange<Int>, ys: ClosedRange<Int>) {
        precondition(xs.count <= Self.side && ys.count <= Self.side)
        let (x0, x1, y0, y1) = (xs.lowerBound, xs.upperBound, ys.lowerBound, ys.upperBound)
        if x0 >> Self.shift == x1 >> Self.shift, y0 >> Self.shift == y1 >> Self.shift {
            // One tile (almost every 3×3 block): its start is found once, and the block's rows are
            // runs of the tile's row-major cells.
            var row = storageIndex(x0, y0)
            storage.withUnsafeMutableBufferPointer { s in
                var y = y0
                while y <= y1 {
                    var i = row
                    for _ in x0...x1 {
                        s[i] &+= delta
                        i &+= 1
                    }
                    row &+= Self.side
                    y &+= 1
                }
            }
            return
        }
        _ = storageIndex(xs.lowerBound, ys.lowerBound)
        _ = storageIndex(xs.upperBound, ys.lowerBound)
        _ = storageIndex(xs.lowerBound, ys.upperBound)
        _ = storageIndex(xs.upperBound, ys.upperBound)
        let directory = directory
        let tileColumns = tileColumns
        storage.withUnsafeMutableBufferPointer { s in
            for y in ys {
                for x in xs {
                    let t = Int(directory[(y >> Self.shift) * tileColumns + (x >> Self.shift)])
                    s[t * Self.tileCells + Self.offset(x, y)] &+= delta
                }
            }
        }
    }

    /// Sets `n` cells, the `k`-th to `item(k)`'s value, through one exclusive access to the
    /// tiles (a subscript write checks the storage's uniqueness for every cell); a cell whose tile
    /// is not allocated yet ends that access, has its tile allocated, and the writes go on.
    @inline(__always)
    mutating func setEach(count n: Int, _ item: (Int) -> (x: Int, y: Int, value: Int32)) {
        var k = 0
        while k < n {
            let tileColumns = tileColumns
            k = directory.withUnsafeBufferPointer { directory in
                storage.withUnsafeMutableBufferPointer { s in
                    var k = k
                    while k < n {
                        let (x, y, value) = item(k)
                        let t = Int(directory[(y >> Self.shift) &* tileColumns &+ (x >> Self.shift)])
                        if t < 0 { return k }
                        s[t &* Self.tileCells &+ Self.offset(x, y)] = value
                        k &+= 1
                    }
                    return k
                }
            }
            if k < n {
                let (x, y, value) = item(k)
                storage[storageIndex(x, y)] = value
                k += 1
            }
        }
    }

    /// The storage index of the cell, allocating its tile (filled with `fill`) on first use.
    @inline(__always) private mutating func storageIndex(_ x: Int, _ y: Int) -> Int {
        let d = tile(x, y)
        var t = directory[d]
        if t < 0 {
            t = Int32(storage.count / Self.tileCells)
            storage.append(repeating: fill, count: Self.tileCells)
            directory[d] = t
        }
        return Int(t) * Self.tileCells + Self.offset(x, y)
    }

    /// True when every cell holds `fill` (a scratch array handed back clean).
    var isAllFill: Bool { storage.allSatisfy { $0 == fill } }

    /// Reads cells through the tiles' memory (see `withReader`).
    struct Reader {
        fileprivate let directory: UnsafeBufferPointer<Int32>
        fileprivate let storage: UnsafeBufferPointer<Int32>
        fileprivate let tileColumns: Int
        fileprivate let fill: Int32

        /// The value at column `x`, row `y` (inside the grid).
        @inline(__always) subscript(x x: Int, y y: Int) -> Int32 {
            at(tileStart(x: x, y: y), x: x, y: y)
        }

        /// Where the tile of (`x`, `y`) starts in the storage, -1 when it is not allocated: the
        /// cells of one tile are then read with `at` without looking the tile up again.
        @inline(__always) func tileStart(x: Int, y: Int) -> Int {
            let t = Int(directory[(y >> CellTiles.shift) &* tileColumns &+ (x >> CellTiles.shift)])
            return t < 0 ? -1 : t &* CellTiles.tileCells
        }

        /// The value at (`x`, `y`), a cell of the tile that starts at `tileStart`.
        @inline(__always) func at(_ tileStart: Int, x: Int, y: Int) -> Int32 {
            tileStart < 0 ? fill : storage[tileStart &+ CellTiles.offset(x, y)]
        }
    }

    /// Runs `body` with a reader of these tiles: the daily hotspot evaluation reads thousands of
    /// cells, and each subscript read checked two arrays' bounds (and, in a mutating context,
    /// could not be hoisted). The reader must not outlive `body`, and the tiles do not change
    /// meanwhile.
    @inline(__always) func withReader<R>(_ body: (Reader) throws -> R) rethrows -> R {
        try directory.withUnsafeBufferPointer { d in
            try storage.withUnsafeBufferPointer { s in
                try body(Reader(directory: d, storage: s, tileColumns: tileColumns, fill: fill))
            }
        }
    }

    /// Every cell of an allocated tile whose value differs from `fill`, row-major within tiles.
    func forEachSet(_ body: (_ x: Int, _ y: Int, _ value: Int32) -> Void) {
        for (d, t) in directory.enumerated() where t >= 0 {
            let x0 = (d % tileColumns) << Self.shift
            let y0 = (d / tileColumns) << Self.shift
            let base = Int(t) * Self.tileCells
            for o in 0..<Self.tileCells where storage[base + o] != fill {
                body(x0 + (o & Self.mask), y0 + (o >> Self.shift), storage[base + o])
            }
        }
    }
}
