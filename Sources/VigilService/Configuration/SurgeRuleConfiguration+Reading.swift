import VigilCore

extension SurgeRuleConfiguration {
    /// `[rules.surge]` (defaults: `SurgeRuleConfiguration()`); nil when disabled.
    static func read(_ r: inout ConfigReader) throws(ConfigurationError) -> SurgeRuleConfiguration? {
        let d = SurgeRuleConfiguration()
        return try r.switchable(
            "rules.surge",
            { r throws(ConfigurationError) in
                SurgeRuleConfiguration(
                    window: try r.duration("rules.surge.window", default: d.window),
                    trailingWeeks: try r.int("rules.surge.trailing_weeks", default: d.trailingWeeks),
                    minimumCount: try r.int("rules.surge.minimum_count", default: d.minimumCount),
                    minimumExpected: try r.double("rules.surge.minimum_expected", default: d.minimumExpected),
                    pValue: try r.double("rules.surge.p_value", default: d.pValue),
                    cooldown: try r.duration("rules.surge.cooldown", default: d.cooldown))
            }, problems: { $0.problems() })
    }
}
