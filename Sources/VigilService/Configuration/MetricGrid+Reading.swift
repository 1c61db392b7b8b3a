import VigilCore

extension MetricGrid {
    /// `[grid]`: the cell size and the box served (defaults: 250 m cells over Toronto).
    static let defaultCellSize = 250.0
    static let defaultBounds = GeoBounds(south: 43.58, west: -79.64, north: 43.86, east: -79.11)

    static func read(_ r: inout ConfigReader) throws(ConfigurationError) -> MetricGrid {
        let cellSize = try r.double("grid.cell_size_m", default: defaultCellSize)
        try VigilConfiguration.require(
            cellSize >= 10 && cellSize <= 100_000, "grid.cell_size_m", "must be between 10 and 100000 metres",
            "250 suits a city; locations snapped to intersections make cells under ~100 m meaningless")
        let d = defaultBounds
        let box = try r.doubles("grid.bbox", default: [d.south, d.west, d.north, d.east])
        try VigilConfiguration.require(
            box.count == 4, "grid.bbox", "must have 4 numbers [south, west, north, east]", "e.g. [43.58, -79.64, 43.86, -79.11]")
        let bounds = GeoBounds(south: box[0], west: box[1], north: box[2], east: box[3])
        try VigilConfiguration.require(
            bounds.isValid, "grid.bbox", "is not a valid box (need -90 ≤ south < north ≤ 90, -180 ≤ west < east ≤ 180)",
            "order is [south, west, north, east]")
        return MetricGrid(cellSize: cellSize, bounds: bounds)
    }
}
