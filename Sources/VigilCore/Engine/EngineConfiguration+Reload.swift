extension EngineConfiguration {
    /// True when `self` differs from `old` only in settings an engine can take over without
    /// rebuilding state: thresholds, cooldowns, significance levels, hotspot hysteresis, the key
    /// cap. Windows, grid, lateness, which rules exist and the windows they read are structural.
    public func isRuleUpdate(of old: EngineConfiguration) -> Bool {
        guard grid == old.grid, allowedLateness == old.allowedLateness, windows == old.windows else { return false }
        switch (countRule, old.countRule) {
        case (nil, nil): break
        case (let new?, let was?) where new.window == was.window && new.resolution == was.resolution: break
        default: return false
        }
        switch (surgeRule, old.surgeRule) {
        case (nil, nil): break
        case (let new?, let was?) where new.window == was.window && new.trailingWeeks == was.trailingWeeks: break
        default: return false
        }
        switch (hotspots, old.hotspots) {
        case (nil, nil): break
        case (let new?, let was?) where new.window == was.window && new.evaluateEvery == was.evaluateEvery: break
        default: return false
        }
        switch (clusters, old.clusters) {
        case (nil, nil): break
        // The scan splits its durations into the short and long families once (`long_from`).
        case (let new?, let was?)
        where new.maxRadiusMetres == was.maxRadiusMetres && new.durationsHours == was.durationsHours
            && new.longFromHours == was.longFromHours:
            break
        default: return false
        }
        return true
    }
}
