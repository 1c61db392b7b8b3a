import VigilCore

extension CountRuleConfiguration {
    /// `[rules.count]` (defaults: `CountRuleConfiguration()`); nil when disabled.
    static func read(_ r: inout ConfigReader) throws(ConfigurationError) -> CountRuleConfiguration? {
        let d = CountRuleConfiguration()
        return try r.switchable(
            "rules.count",
            { r throws(ConfigurationError) in
                CountRuleConfiguration(
                    window: try r.duration("rules.count.window", default: d.window),
                    resolution: try r.duration("rules.count.resolution", default: d.resolution),
                    threshold: try r.int("rules.count.threshold", default: d.threshold),
                    cooldown: try r.duration("rules.count.cooldown", default: d.cooldown))
            }, problems: { $0.problems() })
    }
}
