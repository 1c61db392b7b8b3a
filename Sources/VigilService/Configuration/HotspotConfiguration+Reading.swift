import VigilCore

extension HotspotConfiguration {
    /// `[hotspots]` (defaults: `HotspotConfiguration()`); nil when disabled.
    static func read(_ r: inout ConfigReader) throws(ConfigurationError) -> HotspotConfiguration? {
        let d = HotspotConfiguration()
        return try r.switchable(
            "hotspots",
            { r throws(ConfigurationError) in
                let windowText = try r.string("hotspots.window", default: d.window.description)
                guard let window = WindowSpec.parse(windowText) else {
                    throw ConfigurationError(
                        key: "hotspots.window", message: "'\(windowText)' is not horizon/resolution", fix: "e.g. \"28d/1d\"")
                }
                return HotspotConfiguration(
                    window: window,
                    evaluateEvery: try r.duration("hotspots.evaluate_every", default: d.evaluateEvery),
                    zThreshold: try r.double("hotspots.z_threshold", default: d.zThreshold),
                    minimumLocalCount: try r.int("hotspots.minimum_local_count", default: d.minimumLocalCount),
                    minimumCells: try r.int("hotspots.minimum_cells", default: d.minimumCells),
                    minimumPersistence: try r.int("hotspots.minimum_persistence", default: d.minimumPersistence),
                    growthFactor: try r.double("hotspots.growth_factor", default: d.growthFactor),
                    closeAfter: try r.duration("hotspots.close_after", default: d.closeAfter))
            }, problems: { $0.problems() })
    }
}
