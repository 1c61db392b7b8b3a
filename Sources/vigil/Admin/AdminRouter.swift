import VigilCore

/// The admin API's routes, answered from the published snapshot (never from live state), except
/// `/aggregates`, which goes to the processing loop's mailbox. Free of HTTP library types.
struct AdminRouter: Sendable {
    enum Outcome: Equatable {
        case respond(AdminResponse)
        /// Needs the engines: ask the processing loop.
        case ask(AggregatesQuery)
    }

    let board: OperationsBoard
    let grid: MetricGrid

    func route(method: String, path: String, query: String?) -> Outcome {
        guard method == "GET" || method == "HEAD" else { return .respond(.text(405, "only GET and HEAD")) }
        switch path {
        case "/healthz":
            return .respond(board.isLoopAlive() ? .text(200, "ok") : .text(503, "processing loop stalled or not started"))
        case "/readyz":
            if !board.isLoopAlive() { return .respond(.text(503, "not ready: processing loop stalled or not started")) }
            if let reason = board.snapshot.notReadyReason { return .respond(.text(503, "not ready: \(reason)")) }
            return .respond(.text(200, "ready"))
        case "/metrics":
            let text = PrometheusExposition.render(board.snapshot, startTime: board.startTime)
            return .respond(AdminResponse(status: 200, contentType: PrometheusExposition.contentType, body: Array(text.utf8)))
        case "/hotspots":
            return .respond(.json(200, HotspotGeoJSON.encode(board.snapshot.hotspots, grid: grid), contentType: HotspotGeoJSON.contentType))
        case "/public/aggregates":  // issue 15: the latest DP release of every stream (public by design)
            return .respond(.json(200, PublicFeedBoard.shared.aggregatesJSON()))
        case "/aggregates":
            switch AggregatesQuery.parse(query) {
            case .success(let q): return .ask(q)
            case .failure(let error): return .respond(.text(400, error.message))
            }
        default:
            return .respond(.text(404, "not found; routes: /healthz /readyz /metrics /hotspots /aggregates?cell=x12y34|neighbourhood=NAME /public/aggregates"))
        }
    }
}
