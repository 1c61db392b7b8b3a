extension EngineConfiguration {
    /// How far back in event time an incident can still change what the engine decides next: the
    /// depth a rebuild must replay so that windows, baselines, cooldowns and hotspot persistence
    /// equal those of an engine that never stopped.
    ///
    /// The longest of: every window plus lateness; the surge rule's trailing weeks of baseline plus
    /// its window and cooldown; the hotspot window plus how long a closed hotspot may revive, plus
    /// the evaluations its persistence counts; the count rule's window plus cooldown; the cluster
    /// scan's trailing-year baseline (54 whole weeks). Hotspot
    /// *identity* (ids kept across months while a hotspot lives) needs the hotspot's whole life,
    /// which a bounded rewind cannot give: see RELIABILITY.md.
    public var stateHorizon: EventDuration {
        var reach = windows.map(\.horizon.milliseconds).max() ?? 0
        if let rule = countRule { reach = max(reach, rule.window.milliseconds + rule.cooldown.milliseconds) }
        if let rule = surgeRule {
            reach = max(
                reach,
                Int64(rule.trailingWeeks) * EventDuration.days(7).milliseconds + rule.window.milliseconds + rule.cooldown.milliseconds)
        }
        if let h = hotspots {
            let persistence = Int64(h.minimumPersistence) * h.evaluateEvery.milliseconds
            reach = max(reach, h.window.horizon.milliseconds + h.closeAfter.milliseconds + persistence)
        }
        if clusters != nil {
            // The scan's baseline: 52 weeks ending two weeks before the current one, whole weeks.
            reach = max(reach, (ScanCountTable.baselineFirst + 1) * EventDuration.days(7).milliseconds)
        }
        return EventDuration(milliseconds: reach + allowedLateness.milliseconds)
    }
}
