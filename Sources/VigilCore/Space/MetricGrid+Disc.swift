extension MetricGrid {
    /// Cells whose centres lie within `radius` cells of `cell`'s centre (Euclidean), row by row:
    /// the discs of the space-time scan.
    public func disc(around cell: GridCell, radius: Int) -> [GridCell] {
        let r = Int32(radius)
        var out: [GridCell] = []
        for dx in -r...r {
            for dy in -r...r where dx * dx + dy * dy <= r * r { out.append(GridCell(x: cell.x + dx, y: cell.y + dy)) }
        }
        return out
    }
}
