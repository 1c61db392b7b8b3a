import Foundation
import VigilCore

/// The operator page's JSON answered from published state (no engine access): its settings,
/// health (the facts of `/readyz` and `/metrics`) and recent incidents.
enum PageData {
    /// `/page/config`: the grid, the windows, the basemap.
    static func config(grid: MetricGrid, settings: PageSettings) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.key("bounds")
        w.beginArray()
        for v in [grid.bounds.south, grid.bounds.west, grid.bounds.north, grid.bounds.east] { w.double(v, decimals: 6) }
        w.endArray()
        w.key("cell_size_m")
        w.double(grid.cellSize)
        let origin = grid.centre(of: GridCell(x: 0, y: 0))
        w.key("cell_origin")
        w.beginArray()
        w.double(origin.latitude, decimals: 8)
        w.double(origin.longitude, decimals: 8)
        w.endArray()
        let step = grid.centre(of: GridCell(x: 1, y: 1))
        w.key("cell_step")
        w.beginArray()
        w.double(step.latitude - origin.latitude, decimals: 10)
        w.double(step.longitude - origin.longitude, decimals: 10)
        w.endArray()
        w.key("tile_url")
        w.string(settings.tileURL)
        w.key("tile_attribution")
        w.string(settings.tileAttribution)
        w.endObject()
        return w.bytes
    }

    /// `/page/health`.
    static func health(_ s: OperationsSnapshot, loopAlive: Bool) -> [UInt8] {
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.key("taken_at")
        w.double(s.takenAt, decimals: 3)
        w.key("loop_alive")
        w.bool(loopAlive)
        let reason = loopAlive ? s.notReadyReason : "processing loop stalled or not started"
        w.key("ready")
        w.bool(reason == nil)
        w.key("not_ready_reason")
        if let reason { w.string(reason) } else { w.null() }
        w.key("broker_reachable")
        w.bool(s.brokerReachable)
        w.key("broker_reason")
        if let r = s.brokerReason { w.string(r) } else { w.null() }
        w.key("model_version")
        if let m = s.modelVersion { w.string(m) } else { w.null() }
        w.key("partitions")
        w.beginArray()
        for p in s.partitions {
            w.beginObject()
            w.key("topic")
            w.string(p.topicPartition.topic)
            w.key("partition")
            w.int(Int(p.topicPartition.partition))
            w.key("rebuilding")
            w.bool(p.rebuilding)
            w.key("lag")
            if let lag = p.lag { w.int(Int(lag)) } else { w.null() }
            w.key("newest_event_time")
            if let t = p.newestEventTime { w.timestamp(t) } else { w.null() }
            w.key("keys")
            w.int(p.keys)
            w.endObject()
        }
        w.endArray()
        let st = s.statistics
        w.key("consumed")
        w.int(st.consumed)
        w.key("decoded")
        w.int(st.decoded)
        w.key("late")
        w.int(st.late)
        w.key("alerts")
        w.int(st.alerts)
        w.key("delivery_failures")
        w.int(st.deliveryFailures)
        w.key("dead_letters")
        w.beginObject()
        for reason in st.deadLetteredByReason.keys.sorted() {
            w.dynamicKey(reason)
            w.int(st.deadLetteredByReason[reason]!)
        }
        w.endObject()
        w.key("hotspots")
        w.int(s.hotspots.count)
        w.endObject()
        return w.bytes
    }

    /// `/page/incidents?recent=N` or `?ids=a,b,c`.
    static func incidents(_ entries: [RecentIncidents.Entry]) -> [UInt8] {
        var w = JSONWriter(capacity: 64 + entries.count * 160)
        w.beginObject()
        w.key("incidents")
        w.beginArray()
        for e in entries {
            w.beginObject()
            w.key("id")
            w.string(e.id)
            w.key("event_time")
            w.timestamp(e.eventTime)
            w.key("category")
            w.string(e.category)
            w.key("neighbourhood")
            if let n = e.neighbourhood { w.string(n) } else { w.null() }
            w.key("lat")
            w.double(e.latitude, decimals: 6)
            w.key("lon")
            w.double(e.longitude, decimals: 6)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    static let maxRecent = 5000
    static let maxIDs = 500

    /// Parses `recent=N` (default 2000, at most `maxRecent`) or `ids=a,b,c` (at most `maxIDs`).
    static func incidentQuery(_ query: String?) -> (recent: Int?, ids: Set<String>) {
        var components = URLComponents()
        components.percentEncodedQuery = query
        let items = components.queryItems ?? []
        if let ids = items.first(where: { $0.name == "ids" })?.value {
            return (nil, Set(ids.split(separator: ",").prefix(maxIDs).map(String.init)))
        }
        let n = items.first(where: { $0.name == "recent" })?.value.flatMap { Int($0) } ?? 2000
        return (min(max(n, 0), maxRecent), [])
    }
}
