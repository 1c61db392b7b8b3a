import Foundation
import Testing
import VigilCore

@testable import VigilService

/// The operator page's pieces without a browser: the alert ring and its resume rules, SSE
/// framing, basic-auth parsing and checking, routing and security, recent incidents, and the
/// per-bucket series the trends chart draws (against counts computed here from the input).
@Suite("operator page")
struct OperatorPageTests {
    static let grid = MetricGrid(cellSize: 250, bounds: GeoBounds(south: 43.58, west: -79.64, north: 43.86, east: -79.11))

    @Test func alertRingResumesAfterAnIdAndReportsGaps() {
        let feed = AlertFeed(capacity: 3)
        #expect(feed.events(after: 0, limit: 10) == AlertFeed.Page(events: [], gap: false))
        for k in 1...5 { feed.append(Array("{\"n\":\(k)}".utf8)) }
        #expect(feed.latestID == 5)
        #expect(feed.events(after: 0, limit: 10).events.map(\.id) == [3, 4, 5])
        #expect(feed.events(after: 0, limit: 10).gap == false)
        #expect(feed.events(after: 3, limit: 10).events.map(\.id) == [4, 5])
        #expect(feed.events(after: 4, limit: 1).events.map(\.json) == [Array("{\"n\":5}".utf8)])
        let missed = feed.events(after: 1, limit: 10)
        #expect(missed.gap && missed.events.map(\.id) == [3, 4, 5])
        #expect(feed.events(after: 5, limit: 10).events.isEmpty)
        // An id from before a restart (beyond the newest): everything kept, oldest first.
        #expect(feed.events(after: 99, limit: 2).events.map(\.id) == [3, 4])
    }

    @Test func sseFrameSplitsLinesIntoDataFields() {
        let frame = String(decoding: EventStreamHub.frame(.init(id: 7, json: Array("{\"a\":1}\n".utf8))), as: UTF8.self)
        #expect(frame == "id: 7\nevent: alert\ndata: {\"a\":1}\n\n")
        let two = String(decoding: EventStreamHub.frame(.init(id: 8, json: Array("a\nb".utf8))), as: UTF8.self)
        #expect(two == "id: 8\nevent: alert\ndata: a\ndata: b\n\n")
    }

    @Test func basicAuthAcceptsOnlyListedCredentials() throws {
        let auth = try BasicAuth.parse("# operators\nana:s3cret\n\nbo:pa:ss\n")
        func header(_ s: String) -> String { "Basic " + Data(s.utf8).base64EncodedString() }
        #expect(auth.allows(header("ana:s3cret")))
        #expect(auth.allows(header("bo:pa:ss")))
        #expect(!auth.allows(header("ana:s3cret2")))
        #expect(!auth.allows(header("ana:")))
        #expect(!auth.allows(nil))
        #expect(!auth.allows("Bearer abc"))
        #expect(throws: BasicAuth.LoadError.self) { try BasicAuth.parse("no colon here\n") }
        #expect(throws: BasicAuth.LoadError.self) { try BasicAuth.parse("# nothing\n") }
    }

    @Test func routerServesThePageAndGuardsItWithCredentials() throws {
        let board = OperationsBoard()
        let open = AdminRouter(board: board, grid: Self.grid)
        guard case .respond(let page) = open.route(method: "GET", path: "/", query: nil) else {
            Issue.record("no page")
            return
        }
        #expect(page.status == 200 && page.contentType.hasPrefix("text/html"))
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.contains("<script src=\"/page.js\""))
        #expect(!html.contains("<script>") && !html.contains("style="))
        #expect(open.route(method: "GET", path: "/events", query: nil, lastEventID: "41") == .stream(after: 41))
        #expect(open.route(method: "GET", path: "/events", query: "last_event_id=9") == .stream(after: 9))
        #expect(
            open.route(method: "GET", path: "/page/cells", query: "window=7d/6h") == .ask(.page(.cells(window: WindowSpec.parse("7d/6h")))))
        #expect(
            open.route(method: "GET", path: "/page/trends", query: "neighbourhood=Moss+Park&category=Assault")
                == .ask(.page(.trends(neighbourhood: "Moss Park", category: "Assault"))))
        var settings = PageSettings()
        settings.credentials = try BasicAuth.parse("ana:pw\n")
        let guarded = AdminRouter(board: board, grid: Self.grid, page: settings)
        guard case .respond(let denied) = guarded.route(method: "GET", path: "/", query: nil) else {
            Issue.record("not denied")
            return
        }
        #expect(denied.status == 401 && denied.headers["www-authenticate"]?.hasPrefix("Basic realm=") == true)
        guard case .respond(let probe) = guarded.route(method: "GET", path: "/healthz", query: nil) else {
            Issue.record("probe")
            return
        }
        #expect(probe.status == 503)  // open (no loop yet), not 401
        let ok = guarded.route(method: "GET", path: "/", query: nil, authorization: "Basic " + Data("ana:pw".utf8).base64EncodedString())
        guard case .respond(let allowed) = ok else {
            Issue.record("not allowed")
            return
        }
        #expect(allowed.status == 200)
        guard
            case .respond(let off) = AdminRouter(board: board, grid: Self.grid, page: PageSettings(enabled: false)).route(
                method: "GET", path: "/", query: nil)
        else { return }
        #expect(off.status == 404)
    }

    @Test func securityHeadersForbidInlineScriptAndCrossOriginReads() {
        let headers = Dictionary(uniqueKeysWithValues: AdminHTTPHandler.securityHeaders(tileOrigin: "https://tiles.example.org"))
        let csp = headers["content-security-policy"] ?? ""
        #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'self';") && !csp.contains("unsafe"))
        #expect(csp.contains("img-src 'self' data: https://tiles.example.org;"))
        #expect(headers["x-content-type-options"] == "nosniff")
        #expect(headers["access-control-allow-origin"] == nil)
    }

    @Test func recentIncidentsKeepTheNewestAndFindById() {
        let ring = RecentIncidents(capacity: 3)
        func e(_ n: Int) -> RecentIncidents.Entry {
            .init(
                id: "i\(n)", eventTime: Timestamp(milliseconds: Int64(n)), category: "Assault", neighbourhood: nil, latitude: 43.7,
                longitude: -79.4)
        }
        ring.append([e(1), e(2)])
        ring.append([e(3), e(4)])
        #expect(ring.newest(10).map(\.id) == ["i4", "i3", "i2"])
        #expect(ring.newest(1).map(\.id) == ["i4"])
        #expect(Set(ring.find(["i1", "i3", "i9"]).map(\.id)) == ["i3"])
    }

    @Test func trendSeriesAreTheDailyCountsOfTheInput() throws {
        let daily = WindowSpec(horizon: .days(28), resolution: .days(1))
        let hourly = WindowSpec(horizon: .hours(24), resolution: .hours(1))
        var engine = IncidentEngine(
            configuration: EngineConfiguration(grid: Self.grid, windows: [hourly, daily], countRule: nil, surgeRule: nil, hotspots: nil))
        let day: Int64 = 86_400_000
        let base: Int64 = 1_633_046_400_000  // 2021-10-01T00:00Z
        var expected: [Int64: Int] = [:]
        var n = 0
        for d in 0..<40 {
            for k in 0..<((d * 7) % 5 + 1) {
                let t = base + Int64(d) * day + Int64(k) * 3_600_000 * 3
                let category = k % 2 == 0 ? "Assault" : "Robbery"
                if category == "Assault" { expected[t / day, default: 0] += 1 }
                n += 1
                _ = engine.process(
                    Incident(
                        id: "e\(n)", eventTime: Timestamp(milliseconds: t), category: category,
                        neighbourhood: "Moss Park", latitude: 43.66, longitude: -79.37))
            }
        }
        let k = try #require(engine.windows.specs.firstIndex(of: daily))
        let s = try #require(engine.series(neighbourhood: "Moss Park", category: "Assault", spec: k))
        let last = engine.watermark.maxEventTime!.milliseconds / day
        #expect(s.counts == (last - 27...last).map { expected[$0] ?? 0 })
        #expect(s.start == Timestamp(milliseconds: (last - 27) * day))
        let aggregates = try #require(engine.aggregates(neighbourhood: "Moss Park")?.first { $0.category == "Assault" })
        #expect(s.counts.reduce(0, +) == aggregates.counts[k])
        #expect(engine.series(neighbourhood: "Nowhere", category: nil, spec: k) == nil)
        let cells = engine.cellCounts(spec: k, limit: 10)
        #expect(cells.count == 1 && cells[0].count == engine.aggregates(cell: cells[0].cell).last!.counts[k])
    }
}
