extension MetricGrid {
    /// Outline of a set of cells: the convex hull of their corners as (lat, lon) points, closed.
    /// The same outline hotspot alerts carry; used where a hotspot was not yet described.
    public func outline(of cells: [GridCell]) -> [GeoPoint] {
        GiStar.hull(of: cells).map { corner in
            let (lat, lon) = unproject(x: Double(corner.0) * cellSize, y: Double(corner.1) * cellSize)
            return GeoPoint(latitude: lat, longitude: lon)
        }
    }
}
