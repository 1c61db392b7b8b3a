import VigilCore

extension EngineConfiguration {
    /// The engine's sections in the order they are read: `[grid]`, `[time]`, `[rules.count]`,
    /// `[windows]`, `[rules.surge]`, `[hotspots]`, `[state]`; defaults are the engine's own
    /// (`EngineConfiguration(grid:)`). Clusters and alert kinds come from `AlertSettings`, and
    /// the risk model is loaded at startup (`VigilConfiguration.loadingFiles`).
    static func read(_ r: inout ConfigReader) throws(ConfigurationError) -> EngineConfiguration {
        let grid = try MetricGrid.read(&r)
        let d = EngineConfiguration(grid: grid)
        let lateness = try r.duration("time.allowed_lateness", default: d.allowedLateness)
        let countRule = try CountRuleConfiguration.read(&r)
        let windows = try WindowSpec.readHorizons(&r)
        let surgeRule = try SurgeRuleConfiguration.read(&r)
        let hotspots = try HotspotConfiguration.read(&r)
        let maxKeys = try r.int("state.max_keys", default: d.maxKeys)
        try VigilConfiguration.require(maxKeys >= 1, "state.max_keys", "must be at least 1", nil)
        return EngineConfiguration(
            grid: grid, allowedLateness: lateness, windows: windows, countRule: countRule,
            surgeRule: surgeRule, hotspots: hotspots, maxKeys: maxKeys)
    }
}
