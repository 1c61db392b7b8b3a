/// A latitude/longitude box: the area a deployment accepts incidents from.
public struct GeoBounds: Sendable, Equatable {
    public var south: Double
    public var west: Double
    public var north: Double
    public var east: Double

    public init(south: Double, west: Double, north: Double, east: Double) {
        self.south = south
        self.west = west
        self.north = north
        self.east = east
    }

    /// The whole globe: only range checks apply.
    public static let world = GeoBounds(south: -90, west: -180, north: 90, east: 180)

    public var isValid: Bool {
        south.isFinite && north.isFinite && west.isFinite && east.isFinite && -90 <= south && south < north && north <= 90 && -180 <= west
            && west < east && east <= 180
    }

    public func contains(latitude: Double, longitude: Double) -> Bool {
        latitude >= south && latitude <= north && longitude >= west && longitude <= east
    }
}
