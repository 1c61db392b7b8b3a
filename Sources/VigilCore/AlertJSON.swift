/// The alert wire format (`Config/schemas/alert.schema.json`), used for the topic and the log.
public enum AlertJSON {
    /// Encodes `alert`. `detectedAt` is wall-clock time added at the edge; pass nil for the
    /// deterministic form used in replays and tests.
    public static func encode(_ alert: Alert, detectedAt: Timestamp?, source: String = "vigil") -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("id"); w.string(alert.id)
        w.key("kind"); w.string(alert.kind.rawValue)
        w.key("rule"); w.string(alert.rule)
        w.key("severity"); w.string(alert.severity.rawValue)
        w.key("event_time"); w.timestamp(alert.eventTime)
        if let detectedAt { w.key("detected_at"); w.timestamp(detectedAt) }
        w.key("key")
        w.beginObject()
        if let category = alert.category { w.key("category"); w.string(category) }
        w.key("cell"); w.string(alert.cell.description)
        w.endObject()
        w.key("location")
        w.beginObject()
        w.key("lat"); w.double(alert.latitude, decimals: 6)
        w.key("lon"); w.double(alert.longitude, decimals: 6)
        w.key("cell"); w.string(alert.cell.description)
        w.key("cell_size_m"); w.double(alert.cellSize)
        w.endObject()
        if let neighbourhood = alert.neighbourhood { w.key("neighbourhood"); w.string(neighbourhood) }
        w.key("window")
        w.beginObject()
        w.key("start"); w.timestamp(alert.windowStart)
        w.key("end"); w.timestamp(alert.windowEnd)
        w.key("duration_s"); w.int(Int((alert.windowEnd.milliseconds - alert.windowStart.milliseconds) / 1000))
        w.endObject()
        w.key("evidence")
        w.beginObject()
        w.key("count"); w.int(alert.count)
        w.key("threshold"); w.int(alert.threshold)
        w.endObject()
        w.key("incident_ids")
        w.beginArray()
        for id in alert.incidentIDs { w.string(id) }
        w.endArray()
        w.key("source"); w.string(source)
        w.endObject()
        return w.bytes
    }
}
