/// A grid of square cells of fixed size in metres over a deployment's bounding box.
///
/// Uses a local equirectangular projection centred on the box (metres per degree of longitude
/// taken at the box's middle latitude): over a city-sized box the distortion is well under 1%,
/// far below the ~90 m positional noise of intersection-snapped incident locations.
public struct MetricGrid: Sendable, Equatable {
    public let cellSize: Double
    public let bounds: GeoBounds
    let metresPerDegreeLatitude: Double
    let metresPerDegreeLongitude: Double

    static let earthRadius = 6_371_008.8

    public init(cellSize: Double, bounds: GeoBounds) {
        precondition(cellSize > 0 && bounds.isValid, "validated by configuration")
        self.cellSize = cellSize
        self.bounds = bounds
        let midLatitude = (bounds.south + bounds.north) / 2
        metresPerDegreeLatitude = Self.earthRadius * .pi / 180
        metresPerDegreeLongitude = metresPerDegreeLatitude * cos(midLatitude * .pi / 180)
    }

    /// Metres east and north of the box's south-west corner.
    public func project(latitude: Double, longitude: Double) -> (x: Double, y: Double) {
        ((longitude - bounds.west) * metresPerDegreeLongitude, (latitude - bounds.south) * metresPerDegreeLatitude)
    }

    /// Degrees of the point `x` metres east and `y` metres north of the box's south-west corner.
    public func unproject(x: Double, y: Double) -> (latitude: Double, longitude: Double) {
        (bounds.south + y / metresPerDegreeLatitude, bounds.west + x / metresPerDegreeLongitude)
    }

    public func cell(latitude: Double, longitude: Double) -> GridCell {
        let (x, y) = project(latitude: latitude, longitude: longitude)
        return GridCell(x: Int32((x / cellSize).rounded(.down)), y: Int32((y / cellSize).rounded(.down)))
    }

    /// The cell's centre in degrees.
    public func centre(of cell: GridCell) -> (latitude: Double, longitude: Double) {
        let x = (Double(cell.x) + 0.5) * cellSize
        let y = (Double(cell.y) + 0.5) * cellSize
        return (bounds.south + y / metresPerDegreeLatitude, bounds.west + x / metresPerDegreeLongitude)
    }

    /// The cell's corners (SW, SE, NE, NW) in degrees, for polygons.
    public func corners(of cell: GridCell) -> [(latitude: Double, longitude: Double)] {
        let x0 = Double(cell.x) * cellSize
        let y0 = Double(cell.y) * cellSize
        return [(x0, y0), (x0 + cellSize, y0), (x0 + cellSize, y0 + cellSize), (x0, y0 + cellSize)].map {
            (bounds.south + $0.1 / metresPerDegreeLatitude, bounds.west + $0.0 / metresPerDegreeLongitude)
        }
    }

    /// Cells within `rings` cells (Chebyshev distance) of `cell`, including it, in a fixed order.
    public func neighbourhood(of cell: GridCell, rings: Int32 = 1) -> [GridCell] {
        var cells: [GridCell] = []
        cells.reserveCapacity(Int((2 * rings + 1) * (2 * rings + 1)))
        for dx in -rings...rings {
            for dy in -rings...rings { cells.append(GridCell(x: cell.x + dx, y: cell.y + dy)) }
        }
        return cells
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
