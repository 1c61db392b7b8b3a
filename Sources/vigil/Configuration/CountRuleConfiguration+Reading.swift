import VigilCore

extension CountRuleConfiguration {
    /// `[rules.count]` (defaults: `CountRuleConfiguration()`); nil when disabled. The values are
    /// validated either way, so that enabling the rule later cannot surprise.
    static func read(_ r: inout ConfigReader) throws(ConfigurationError) -> CountRuleConfiguration? {
        let d = CountRuleConfiguration()
        let enabled = try r.bool("rules.count.enabled", default: true)
        let rule = CountRuleConfiguration(
            window: try r.duration("rules.count.window", default: d.window),
            resolution: try r.duration("rules.count.resolution", default: d.resolution),
            threshold: try r.int("rules.count.threshold", default: d.threshold),
            cooldown: try r.duration("rules.count.cooldown", default: d.cooldown))
        if let problem = rule.problems().first {
            throw ConfigurationError(key: "rules.count.\(problem.key)", message: problem.message, fix: nil)
        }
        return enabled ? rule : nil
    }
}
