import Foundation
import VigilCore
import VigilKafka

/// The operator page's questions that need the engines (answered by the processing loop through
/// the `/aggregates` mailbox): cell counts for the map, trend series, and the names to choose from.
/// Each answer's work is bounded: cells by `cellLimit`, series by the window's bucket count.
enum PageQuery: Sendable, Equatable {
    /// `/page/cells?window=7d/6h`: every cell's count in that window (default: the hotspot window).
    case cells(window: WindowSpec?)
    /// `/page/trends?neighbourhood=N&category=C`: daily (28 d) and hourly (24 h) series.
    case trends(neighbourhood: String, category: String?)
    /// `/page/names`: neighbourhoods and categories seen.
    case names

    static let cellLimit = 20_000
    static let dailySpec = WindowSpec(horizon: .days(28), resolution: .days(1))
    static let hourlySpec = WindowSpec(horizon: .hours(24), resolution: .hours(1))

    static func parse(path: String, query: String?) -> Result<PageQuery, AggregatesQueryError> {
        var components = URLComponents()
        components.percentEncodedQuery = query?.replacingOccurrences(of: "+", with: "%20")
        let items = components.queryItems ?? []
        func value(_ name: String) -> String? { items.first { $0.name == name }?.value }
        switch path {
        case "/page/cells":
            guard let text = value("window") else { return .success(.cells(window: nil)) }
            guard let spec = WindowSpec.parse(text) else {
                return .failure(AggregatesQueryError("window '\(text)' is not horizon/resolution like 7d/6h"))
            }
            return .success(.cells(window: spec))
        case "/page/trends":
            guard let name = value("neighbourhood"), !name.isEmpty, name.count <= 200 else {
                return .failure(AggregatesQueryError("give neighbourhood=<name> (1 to 200 characters) and optionally category=<name>"))
            }
            let category = value("category").flatMap { $0.isEmpty ? nil : $0 }
            return .success(.trends(neighbourhood: name, category: category))
        default:
            return .success(.names)
        }
    }

    func answer(_ engines: [TopicPartition: IncidentEngine]) -> AdminResponse {
        switch self {
        case .cells(let window): return Self.cells(window, engines)
        case .trends(let name, let category): return Self.trends(name, category, engines)
        case .names: return Self.names(engines)
        }
    }

    /// The map window: the hotspot window (so every hotspot cell is shaded), else the longest kept.
    static func mapSpec(_ engine: IncidentEngine) -> Int? {
        let specs = engine.windows.specs
        return engine.configuration.hotspots.flatMap { specs.firstIndex(of: $0.window) }
            ?? specs.indices.max { specs[$0].horizon.milliseconds < specs[$1].horizon.milliseconds }
    }

    private static func cells(_ window: WindowSpec?, _ engines: [TopicPartition: IncidentEngine]) -> AdminResponse {
        var totals: [GridCell: Int] = [:]
        var used: WindowSpec?
        var asOf: Timestamp?
        for tp in engines.keys.sorted() {
            let engine = engines[tp]!
            let specs = engine.windows.specs
            let chosen: Int?
            if let window { chosen = specs.firstIndex(of: window) } else { chosen = mapSpec(engine) }
            guard let k = chosen else { continue }
            used = specs[k]
            if let t = engine.watermark.maxEventTime { asOf = max(asOf ?? t, t) }
            for c in engine.cellCounts(spec: k, limit: cellLimit) { totals[c.cell, default: 0] += c.count }
        }
        if let window, used == nil { return .text(404, "window \(window) is not kept ([windows] horizons)") }
        let sorted = totals.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(cellLimit)
        var w = JSONWriter(capacity: 256 + sorted.count * 32)
        w.beginObject()
        w.key("window")
        if let used { w.string(used.description) } else { w.null() }
        w.key("as_of")
        if let asOf { w.timestamp(asOf) } else { w.null() }
        w.key("cells")
        w.beginArray()
        for (cell, count) in sorted {
            w.beginArray()
            w.int(Int(cell.x))
            w.int(Int(cell.y))
            w.int(count)
            w.endArray()
        }
        w.endArray()
        w.endObject()
        return .json(200, w.bytes)
    }

    private static func trends(_ name: String, _ category: String?, _ engines: [TopicPartition: IncidentEngine]) -> AdminResponse {
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.key("neighbourhood")
        w.string(name)
        w.key("category")
        if let category { w.string(category) } else { w.null() }
        var found = false
        for (label, spec) in [("daily", dailySpec), ("hourly", hourlySpec)] {
            var all: [WindowSeries] = []
            for tp in engines.keys.sorted() {
                let engine = engines[tp]!
                guard let k = engine.windows.specs.firstIndex(of: spec),
                    let s = engine.series(neighbourhood: name, category: category, spec: k)
                else { continue }
                all.append(s)
            }
            found = found || !all.isEmpty
            // Partitions at different event times: align every series on the newest one's buckets.
            let start = all.map(\.start).max()
            var counts = [Int](repeating: 0, count: all.isEmpty ? 0 : spec.buckets)
            for s in all {
                let shift = Int((start!.milliseconds - s.start.milliseconds) / spec.resolution.milliseconds)
                for j in counts.indices where j + shift < s.counts.count { counts[j] += s.counts[j + shift] }
            }
            w.dynamicKey(label)
            w.beginObject()
            w.key("window")
            w.string(spec.description)
            w.key("start")
            if let start { w.timestamp(start) } else { w.null() }
            w.key("counts")
            w.beginArray()
            for c in counts { w.int(c) }
            w.endArray()
            w.endObject()
        }
        w.endObject()
        if !found { return .text(404, "no 28d/1d or 24h/1h window holds '\(name)'\(category.map { " / '\($0)'" } ?? "") on this instance") }
        return .json(200, w.bytes)
    }

    private static func names(_ engines: [TopicPartition: IncidentEngine]) -> AdminResponse {
        var neighbourhoods = Set<String>()
        var categories = Set<String>()
        for engine in engines.values {
            neighbourhoods.formUnion(engine.neighbourhoodNames)
            categories.formUnion(engine.categoryNames)
        }
        var w = JSONWriter(capacity: 4096)
        w.beginObject()
        w.key("neighbourhoods")
        w.beginArray()
        for n in neighbourhoods.sorted() { w.string(n) }
        w.endArray()
        w.key("categories")
        w.beginArray()
        for c in categories.sorted() { w.string(c) }
        w.endArray()
        w.endObject()
        return .json(200, w.bytes)
    }
}
