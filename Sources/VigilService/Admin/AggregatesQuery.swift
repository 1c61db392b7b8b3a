import Foundation
import VigilCore
import VigilKafka

/// A question to `/aggregates`: window counts of one grid cell or one neighbourhood.
enum AggregatesQuery: Sendable, Equatable {
    case cell(GridCell)
    case neighbourhood(String)
    /// The operator page's questions (see `PageQuery`), through the same mailbox.
    case page(PageQuery)

    /// Parses the URL query (`cell=x12y34` or `neighbourhood=NAME`, percent-encoded); the
    /// failure text is the 400 answer.
    static func parse(_ query: String?) -> Result<AggregatesQuery, AggregatesQueryError> {
        var components = URLComponents()
        components.percentEncodedQuery = query?.replacingOccurrences(of: "+", with: "%20")
        let items = components.queryItems ?? []
        let cells = items.filter { $0.name == "cell" }
        let names = items.filter { $0.name == "neighbourhood" }
        guard items.count == 1, cells.count + names.count == 1 else {
            return .failure(AggregatesQueryError("give exactly one of cell=x<col>y<row> or neighbourhood=<name>"))
        }
        if let value = cells.first?.value {
            guard let cell = parseCell(value) else { return .failure(AggregatesQueryError("'\(value)' is not a cell id like x12y34")) }
            return .success(.cell(cell))
        }
        guard let name = names.first?.value, !name.isEmpty, name.count <= 200 else {
            return .failure(AggregatesQueryError("neighbourhood must be a name of 1 to 200 characters"))
        }
        return .success(.neighbourhood(name))
    }

    static func parseCell(_ text: String) -> GridCell? {
        guard text.first == "x", let y = text.firstIndex(of: "y") else { return nil }
        guard let col = Int32(text[text.index(after: text.startIndex)..<y]), let row = Int32(text[text.index(after: y)...]) else {
            return nil
        }
        return GridCell(x: col, y: row)
    }

    /// Answers from the engines of the assigned partitions (processing loop only): counts summed
    /// over partitions, each as of its partition's newest event time.
    func answer(_ engines: [TopicPartition: IncidentEngine]) -> AdminResponse {
        if case .page(let question) = self { return question.answer(engines) }
        var specs: [WindowSpec] = []
        var byCategory: [String: [Int]] = [:]
        var total: [Int] = []
        var asOf: [(TopicPartition, Timestamp)] = []
        var known = false
        for tp in engines.keys.sorted() {
            let engine = engines[tp]!
            let rows: [CategoryWindowCounts]?
            switch self {
            case .cell(let cell): rows = engine.aggregates(cell: cell)
            case .neighbourhood(let name): rows = engine.aggregates(neighbourhood: name)
            case .page: rows = nil
            }
            guard let rows, !rows.isEmpty else { continue }
            known = true
            specs = engine.windows.specs
            if let t = engine.watermark.maxEventTime { asOf.append((tp, t)) }
            for row in rows {
                func add(_ into: inout [Int]) {
                    if into.isEmpty { into = [Int](repeating: 0, count: row.counts.count) }
                    for k in row.counts.indices where k < into.count { into[k] += row.counts[k] }
                }
                if let category = row.category { add(&byCategory[category, default: []]) } else { add(&total) }
            }
        }
        if case .neighbourhood(let name) = self, !known {
            return .text(404, "neighbourhood '\(name)' has no incidents in the state of this instance's partitions")
        }
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        switch self {
        case .cell(let cell):
            w.key("cell")
            w.string(cell.description)
        case .neighbourhood(let name):
            w.key("neighbourhood")
            w.string(name)
        case .page: break
        }
        w.key("windows")
        w.beginArray()
        for s in specs { w.string(s.description) }
        w.endArray()
        w.key("as_of")
        w.beginArray()
        for (tp, t) in asOf {
            w.beginObject()
            w.key("topic")
            w.string(tp.topic)
            w.key("partition")
            w.int(Int(tp.partition))
            w.key("newest_event_time")
            w.timestamp(t)
            w.endObject()
        }
        w.endArray()
        func counts(_ values: [Int]) {
            w.beginObject()
            for (k, spec) in specs.enumerated() {
                w.dynamicKey(spec.description)
                w.int(k < values.count ? values[k] : 0)
            }
            w.endObject()
        }
        w.key("total")
        counts(total)
        w.key("categories")
        w.beginObject()
        for name in byCategory.keys.sorted() {
            w.dynamicKey(name)
            counts(byCategory[name]!)
        }
        w.endObject()
        w.endObject()
        return .json(200, w.bytes)
    }
}

struct AggregatesQueryError: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}

/// A pending `/aggregates` question and where its answer goes (any thread may call `reply`).
struct AggregatesRequest: Sendable {
    var query: AggregatesQuery
    var reply: @Sendable (AdminResponse) -> Void
}
