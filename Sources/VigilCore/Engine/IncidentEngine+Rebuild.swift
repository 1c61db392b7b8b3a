extension IncidentEngine {
    /// Counts `incident` into the state exactly as `process(_:)` would, without reading its
    /// features or scoring it: what a partition's rebuild by replay needs (docs/RELIABILITY.md).
    ///
    /// Why it is exact: nothing in the state depends on a score. A score adds only the incident's
    /// `high_risk` alert and the score statistics (`scored`, `highRisk`), and the features are
    /// read from the state without changing it; the hotspot index the features read is kept by
    /// the hotspot evaluations either way. A rebuilt incident was scored, and its alerts sent,
    /// when it was first processed; replaying its score only to drop it cost about a third of a
    /// rebuild's engine time with the shipped model. So after a rebuild the engine decides the
    /// next incidents exactly as an uninterrupted one (`IncidentEngineRebuildTests`); only the
    /// score statistics leave the rebuilt incidents out.
    public mutating func rebuild(_ incident: Incident) -> EngineDecision {
        var none: [Double] = []
        return published(processAll(incident, recording: nil, into: &none, scoring: false))
    }
}
