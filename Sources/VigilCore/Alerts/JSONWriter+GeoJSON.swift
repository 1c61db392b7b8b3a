extension JSONWriter {
    /// A GeoJSON Polygon geometry object with one ring, positions in [longitude, latitude] order
    /// (RFC 7946) to 6 decimals (about 0.1 m): what hotspot alerts and the `/hotspots`
    /// FeatureCollection both write.
    public mutating func geoJSONPolygon(_ ring: [GeoPoint]) {
        beginObject()
        key("type")
        string("Polygon")
        key("coordinates")
        beginArray()
        beginArray()
        for p in ring {
            beginArray()
            double(p.longitude, decimals: 6)
            double(p.latitude, decimals: 6)
            endArray()
        }
        endArray()
        endArray()
        endObject()
    }
}
