import VigilCore

extension SurgeRuleConfiguration {
    /// `[rules.surge]` (defaults: `SurgeRuleConfiguration()`); nil when disabled, validated either way.
    static func read(_ r: inout ConfigReader) throws(ConfigurationError) -> SurgeRuleConfiguration? {
        let d = SurgeRuleConfiguration()
        let enabled = try r.bool("rules.surge.enabled", default: true)
        let surge = SurgeRuleConfiguration(
            window: try r.duration("rules.surge.window", default: d.window),
            trailingWeeks: try r.int("rules.surge.trailing_weeks", default: d.trailingWeeks),
            minimumCount: try r.int("rules.surge.minimum_count", default: d.minimumCount),
            minimumExpected: try r.double("rules.surge.minimum_expected", default: d.minimumExpected),
            pValue: try r.double("rules.surge.p_value", default: d.pValue),
            cooldown: try r.duration("rules.surge.cooldown", default: d.cooldown))
        if let problem = surge.problems().first {
            throw ConfigurationError(key: "rules.surge.\(problem.key)", message: problem.message, fix: nil)
        }
        return enabled ? surge : nil
    }
}
