import VigilCore

/// One sampled incident's window counts (every family and horizon) as NDJSON, for
/// `vigil replay --probe-output`: the reference recounts them from the input alone.
enum WindowCountProbe {
    static func record(index: Int, incident: Incident, counts: [WindowCount]) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("index")
        w.int(index)
        w.key("id")
        w.string(incident.id)
        w.key("event_time_ms")
        w.int(Int(incident.eventTime.milliseconds))
        w.key("counts")
        w.beginArray()
        for c in counts {
            w.beginObject()
            w.key("family")
            w.string(c.family.name)
            if let category = c.category {
                w.key("category")
                w.string(category)
            }
            if let n = c.neighbourhood {
                w.key("neighbourhood")
                w.string(n)
            }
            if let cell = c.cell {
                w.key("cell")
                w.string(cell.description)
            }
            w.key("horizon_s")
            w.int(Int(c.spec.horizon.milliseconds / 1000))
            w.key("resolution_s")
            w.int(Int(c.spec.resolution.milliseconds / 1000))
            w.key("count")
            w.int(c.count)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }
}
