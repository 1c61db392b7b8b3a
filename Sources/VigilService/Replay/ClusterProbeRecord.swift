import VigilCore

/// One cylinder of one scan evaluation as NDJSON (docs/CLUSTERS.md, "Probe records"), for
/// `vigil replay --cluster-probes`: the offline twin recomputes observed, expected and llr from
/// the input alone.
enum ClusterProbeRecord {
    static func encode(_ probe: ClusterProbe) -> [UInt8] {
        let c = probe.cylinder
        var w = JSONWriter()
        w.beginObject()
        w.key("incident")
        w.string(probe.incident)
        w.key("layer")
        w.string(probe.layer ?? "all")
        w.key("cell")
        w.string(c.centre.description)
        w.key("hour")
        w.int(Int(c.endHour))
        w.key("radius_cells")
        w.int(c.radiusCells)
        w.key("duration_h")
        w.int(c.durationHours)
        w.key("observed")
        w.int(c.observed)
        w.key("expected")
        w.double(c.expected)
        w.key("llr")
        w.double(c.llr)
        w.key("surprise")
        w.double(c.surprise)
        w.endObject()
        return w.bytes
    }
}
