import VigilCore

/// The admin API's routes, answered from the published snapshot (never from live state), except
/// `/aggregates` and the page's engine questions, which go to the processing loop's mailbox, and
/// `/events`, which the HTTP handler streams from the alert feed. Free of HTTP library types.
struct AdminRouter: Sendable {
    enum Outcome: Equatable {
        case respond(AdminResponse)
        /// Needs the engines: ask the processing loop.
        case ask(AggregatesQuery)
        /// `/events`: stream alerts with ids after this one (0: everything kept).
        case stream(after: UInt64)
    }

    let board: OperationsBoard
    let grid: MetricGrid
    var page = PageSettings()

    /// Routes that answer without credentials even when `admin.auth_file` is set (probes).
    static let open: Set<String> = ["/healthz", "/readyz"]

    func route(method: String, path: String, query: String?, authorization: String? = nil, lastEventID: String? = nil) -> Outcome {
        guard method == "GET" || method == "HEAD" else { return .respond(.text(405, "only GET and HEAD")) }
        if let credentials = page.credentials, !Self.open.contains(path), !credentials.allows(authorization) {
            var r = AdminResponse.text(401, "authentication required")
            r.headers["www-authenticate"] = "Basic realm=\"\(BasicAuth.realm)\", charset=\"UTF-8\""
            return .respond(r)
        }
        switch path {
        case "/healthz":
            return .respond(board.isLoopAlive() ? .text(200, "ok") : .text(503, "processing loop stalled or not started"))
        case "/readyz":
            if !board.isLoopAlive() { return .respond(.text(503, "not ready: processing loop stalled or not started")) }
            if let reason = board.snapshot.notReadyReason { return .respond(.text(503, "not ready: \(reason)")) }
            return .respond(.text(200, "ready"))
        case "/metrics":
            let text = PrometheusExposition.render(board.snapshot, startTime: board.startTime, stages: board.stages.snapshot)
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
            if page.enabled, let outcome = pageRoute(path: path, query: query, lastEventID: lastEventID) { return outcome }
            return .respond(
                .text(
                    404,
                    "not found; routes: / /events /healthz /readyz /metrics /hotspots /aggregates?cell=x12y34|neighbourhood=NAME /public/aggregates"
                ))
        }
    }

    private func pageRoute(path: String, query: String?, lastEventID: String?) -> Outcome? {
        switch path {
        case "/", "/index.html":
            return .respond(AdminResponse(status: 200, contentType: "text/html; charset=utf-8", body: PageAssets.html))
        case "/page.js":
            return .respond(AdminResponse(status: 200, contentType: "text/javascript; charset=utf-8", body: PageAssets.script))
        case "/page.css":
            return .respond(AdminResponse(status: 200, contentType: "text/css; charset=utf-8", body: PageAssets.style))
        case "/favicon.ico":
            return .respond(AdminResponse(status: 204, contentType: "image/x-icon", body: []))
        case "/page/config":
            return .respond(.json(200, PageData.config(grid: grid, settings: page)))
        case "/page/health":
            return .respond(.json(200, PageData.health(board.snapshot, loopAlive: board.isLoopAlive())))
        case "/page/incidents":
            let q = PageData.incidentQuery(query)
            let entries = q.recent.map { board.recentIncidents.newest($0) } ?? board.recentIncidents.find(q.ids)
            return .respond(.json(200, PageData.incidents(entries)))
        case "/page/cells", "/page/trends", "/page/names":
            switch PageQuery.parse(path: path, query: query) {
            case .success(let q): return .ask(.page(q))
            case .failure(let error): return .respond(.text(400, error.message))
            }
        case "/events":
            // The browser's EventSource resends the last id it saw as Last-Event-ID on reconnect.
            let text =
                lastEventID
                ?? query.flatMap { q in
                    q.split(separator: "&").first { $0.hasPrefix("last_event_id=") }.map { String($0.dropFirst(14)) }
                }
            return .stream(after: text.flatMap { UInt64($0.trimmingCharacters(in: .whitespaces)) } ?? 0)
        default:
            return nil
        }
    }
}
