extension EngineConfiguration {
    /// True when `self` differs from `old` only in settings an engine can take over without
    /// rebuilding state: thresholds, cooldowns, significance levels, hotspot hysteresis, the key
    /// cap. Windows, grid, lateness, which rules exist and the windows they read are structural.
    public func isRuleUpdate(of old: EngineConfiguration) -> Bool {
        guard grid == old.grid, allowedLateness == old.allowedLateness, windows == old.windows else { return false }
        // Count and surge alerts cite their window's incidents, which an engine records only while
        // it publishes them: starting to publish one needs the rebuild a restart does.
        for kind in [Alert.Kind.countThreshold, .surge] where publishes(kind) && !old.publishes(kind) { return false }
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

    /// Whether alerts of `kind` are published (`alertKinds` nil: every kind).
    func publishes(_ kind: Alert.Kind) -> Bool { alertKinds?.contains(kind) ?? true }
}
