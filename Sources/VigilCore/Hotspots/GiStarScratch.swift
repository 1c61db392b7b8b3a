/// Reusable per-cell arrays for `GiStar.compute` (tiled, so sized by the cells with incidents;
/// cleared sparsely after each use).
struct GiStarScratch: Sendable {
    var counts: CellTiles?
    var marks: CellTiles?
}
