extension IncidentEngine {
    /// Incidents per category in `hotspot`'s cells over the window of the latest hotspot
    /// evaluation (largest first), for `/hotspots`; nil when the window counts can no longer give
    /// them exactly.
    ///
    /// Why on demand: the evaluation works them out only for a hotspot that alerts (they cost one
    /// window lookup per cell and category, more than the rest of its description), so most
    /// hotspots of a day carry none, while a map layer wants every hotspot's mix. They are read
    /// from the same window counts the evaluation read, at the evaluation's window end, and
    /// checked against the hotspot's own count. (No incident can join that window after the
    /// evaluation: it runs once the watermark has passed the window.) Keys expired since (the
    /// periodic expiry drops a key whose newest incident is on the window's oldest day) or a ring
    /// that no longer reaches back that far make the sum fall short, and then nothing is said
    /// rather than something inexact.
    public func categories(ofHotspot hotspot: Hotspot) -> [CategoryCount]? {
        guard let k = hotspotSpec, let snapshot = hotspotSnapshot, hotspot.lastSeenAt == snapshot.evaluatedAt else { return nil }
        if !hotspot.categories.isEmpty { return hotspot.categories }  // worked out at the evaluation (it alerted)
        let counts = Self.categoryCounts(
            in: hotspot.cells, table: windows, names: categories, spec: k, endingAt: snapshot.windowEndBucket)
        guard counts.reduce(0, { $0 + $1.count }) == hotspot.count else { return nil }
        return counts
    }

    /// Incidents per category in `cells` in window `spec` ending at bucket `end`, largest first
    /// (ties by name); categories without any are left out. What hotspot alerts and `/hotspots`
    /// both report.
    static func categoryCounts(
        in cells: [GridCell], table: WindowTable, names: Interner, spec k: Int, endingAt end: Int64
    ) -> [CategoryCount] {
        var out: [CategoryCount] = []
        for id in 0..<names.count {
            var total = 0
            for c in cells {
                if let slot = table.slot(of: AggregateKey.categoryCell(UInt16(id), c)) {
                    total += table.count(slot: slot, spec: k, endingAt: end)
                }
            }
            if total > 0 { out.append(CategoryCount(category: names.name(UInt16(id)), count: total)) }
        }
        return out.sorted { ($0.count, $1.category) > ($1.count, $0.category) }
    }
}
