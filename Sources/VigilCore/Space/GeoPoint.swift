/// A latitude/longitude pair in degrees: alert locations, centroids and outline corners.
public struct GeoPoint: Sendable, Equatable {
    public var latitude: Double
    public var longitude: Double
    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }
}
