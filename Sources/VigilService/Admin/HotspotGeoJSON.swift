import VigilCore

/// Hotspots as an RFC 7946 GeoJSON FeatureCollection: one Polygon feature per hotspot, positions
/// in [longitude, latitude] order, each ring closed and counter-clockwise (the right-hand rule).
enum HotspotGeoJSON {
    static let contentType = "application/geo+json"

    static func encode(_ hotspots: [OperationsSnapshot.PartitionHotspot], grid: MetricGrid) -> [UInt8] {
        var w = JSONWriter(capacity: 1024 + hotspots.count * 512)
        w.beginObject()
        w.key("type")
        w.string("FeatureCollection")
        w.key("features")
        w.beginArray()
        for item in hotspots {
            let h = item.hotspot
            w.beginObject()
            w.key("type")
            w.string("Feature")
            w.key("id")
            w.string(h.id)
            w.key("geometry")
            w.geoJSONPolygon(ring(h.polygon.isEmpty ? grid.outline(of: h.cells) : h.polygon))
            w.key("properties")
            w.beginObject()
            w.key("id")
            w.string(h.id)
            w.key("partition")
            w.int(Int(item.partition.partition))
            w.key("topic")
            w.string(item.partition.topic)
            w.key("cells")
            w.beginArray()
            for c in h.cells { w.string(c.description) }
            w.endArray()
            w.key("cell_count")
            w.int(h.cells.count)
            w.key("count")
            w.int(h.count)
            w.key("max_gi_star")
            w.double(h.maxGiStar, decimals: 4)
            w.key("intensity")
            w.double(h.intensity, decimals: 4)
            w.key("categories")
            w.categoryCounts(h.categories)
            w.key("opened_at")
            w.timestamp(h.openedAt)
            w.key("last_seen_at")
            w.timestamp(h.lastSeenAt)
            w.key("announced")
            w.bool(h.announcedCells != nil)
            w.endObject()
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// The outline as a closed, counter-clockwise ring in (longitude, latitude) space.
    static func ring(_ points: [GeoPoint]) -> [GeoPoint] {
        var ring = points
        guard let first = ring.first else { return [] }
        if ring.last != first { ring.append(first) }
        // Shoelace over (lon, lat): negative is clockwise, which RFC 7946 asks exterior rings not to be.
        var twiceArea = 0.0
        for i in 0..<(ring.count - 1) {
            twiceArea += ring[i].longitude * ring[i + 1].latitude - ring[i + 1].longitude * ring[i].latitude
        }
        return twiceArea < 0 ? ring.reversed() : ring
    }
}
