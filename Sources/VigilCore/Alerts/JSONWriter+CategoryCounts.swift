extension JSONWriter {
    /// Per-category counts as one JSON object, `{"Assault": 3, ...}`, in the given order: the
    /// shape alerts, cluster evidence and the `/hotspots` GeoJSON all use for their categories.
    public mutating func categoryCounts(_ counts: [CategoryCount]) {
        beginObject()
        for c in counts {
            dynamicKey(c.category)
            int(c.count)
        }
        endObject()
    }
}
