import VigilCore

/// What a replay did, as the JSON `vigil replay` prints to stderr (and to `--summary`): counts,
/// alerts per kind and per day of data, the model, the state digest that the byte-identical
/// checks compare, and how long loading and the engine took.
struct ReplaySummary {
    var incidents: [Incident]
    var rejected: [String: Int]
    var alertsByKind: [String: Int]
    var loadSeconds: Double
    var engineSeconds: Double

    func json(engine: IncidentEngine) -> [UInt8] {
        let stats = engine.statistics
        let first = incidents.first?.eventTime.milliseconds
        let last = incidents.last?.eventTime.milliseconds
        // Rates per day of data: days with at least one incident (robust to a few ancient late reports).
        let days = Double(
            max(
                1,
                Set(
                    incidents.map {
                        $0.eventTime.milliseconds >= 0
                            ? $0.eventTime.milliseconds / 86_400_000 : ($0.eventTime.milliseconds - 86_399_999) / 86_400_000
                    }
                ).count))
        var w = JSONWriter()
        w.beginObject()
        w.key("incidents")
        w.int(incidents.count)
        w.key("accepted")
        w.int(stats.accepted)
        w.key("late")
        w.int(stats.late)
        w.key("rejected")
        w.beginObject()
        for (k, v) in rejected.sorted(by: { $0.key < $1.key }) {
            w.dynamicKey(k)
            w.int(v)
        }
        w.endObject()
        w.key("alerts")
        w.int(alertsByKind.values.reduce(0, +))
        w.key("alerts_by_kind")
        w.beginObject()
        for (k, v) in alertsByKind.sorted(by: { $0.key < $1.key }) {
            w.dynamicKey(k)
            w.int(v)
        }
        w.endObject()
        w.key("alerts_per_day")
        w.beginObject()
        for (k, v) in alertsByKind.sorted(by: { $0.key < $1.key }) {
            w.dynamicKey(k)
            w.double(Double(v) / days, decimals: 4)
        }
        w.endObject()
        if let first, let last {
            w.key("first_event_ms")
            w.int(Int(first))
            w.key("last_event_ms")
            w.int(Int(last))
        }
        w.key("days_with_incidents")
        w.int(Int(days))
        if let risk = engine.risk {
            w.key("model")
            w.string("\(risk.model.kind) \(risk.version) (\(risk.hash))")
            w.key("scored")
            w.int(stats.scored)
            w.key("high_risk")
            w.int(stats.highRisk)
        }
        w.key("cluster_evaluations")
        w.int(stats.clusterEvaluations)
        w.key("clusters_open_at_end")
        w.int(stats.openClusters)
        w.key("hotspots_at_end")
        w.int(engine.hotspotSnapshot?.hotspots.count ?? 0)
        w.key("hotspot_evaluations")
        w.int(stats.hotspotEvaluations)
        w.key("keys_at_end")
        w.int(stats.keys)
        let digest = engine.stateDigest
        w.key("state_digest")
        w.string(digest.digest)
        w.key("state_counts")
        w.int(digest.counts)
        w.key("keys_expired")
        w.int(stats.keysExpired)
        w.key("cap_hits")
        w.int(stats.capHits)
        w.key("load_seconds")
        w.double(loadSeconds, decimals: 3)
        w.key("engine_seconds")
        w.double(engineSeconds, decimals: 3)
        w.key("incidents_per_second")
        w.double(Double(incidents.count) / max(engineSeconds, 1e-9), decimals: 0)
        w.endObject()
        return w.bytes
    }
}
