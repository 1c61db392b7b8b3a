import Foundation
import Testing
import VigilCore

@testable import VigilService

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The NIO server on an ephemeral loopback port, with a board but no processing loop: checks
/// routing, status codes, keep-alive, and the /aggregates mailbox (answered or timed out).
@Suite("admin HTTP server", .serialized)
struct AdminServerTests {
    static let grid = MetricGrid(cellSize: 250, bounds: GeoBounds(south: 43.58, west: -79.64, north: 43.86, east: -79.11))

    static func get(_ port: Int, _ path: String) throws -> (status: Int, type: String?, body: String) {
        let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)"))
        let done = DispatchSemaphore(value: 0)
        let result = Locked<(Int, String?, String)?>(nil)
        URLSession.shared.dataTask(with: url) { data, response, _ in
            let http = response as? HTTPURLResponse
            result.withLock {
                $0 = (
                    http?.statusCode ?? -1, http?.value(forHTTPHeaderField: "content-type"),
                    String(decoding: data ?? Data(), as: UTF8.self)
                )
            }
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 10)
        let r = try #require(result.withLock { $0 })
        return (r.0, r.1, r.2)
    }

    @Test func healthAndReadinessFollowTheLoop() throws {
        let board = OperationsBoard(stallAfter: .seconds(30))
        let server = try AdminServer(host: "127.0.0.1", port: 0, router: AdminRouter(board: board, grid: Self.grid), board: board)
        defer { server.stop() }
        #expect(server.port > 0)
        #expect(try Self.get(server.port, "/healthz").status == 503, "no loop iteration yet")
        #expect(try Self.get(server.port, "/readyz").body.contains("not started"))
        board.beat()
        #expect(try Self.get(server.port, "/healthz").status == 200)
        let notAssigned = try Self.get(server.port, "/readyz")
        #expect(notAssigned.status == 503 && notAssigned.body.contains("no partitions assigned"))
        var snapshot = OperationsSnapshot()
        snapshot.hasAssignment = true
        snapshot.partitions = [.init(topicPartition: .init("incidents", 0), rebuilding: true)]
        board.publish(snapshot)
        #expect(try Self.get(server.port, "/readyz").body.contains("rebuilding state: incidents[0]"))
        snapshot.partitions[0].rebuilding = false
        snapshot.brokerReachable = false
        snapshot.brokerReason = "_ALL_BROKERS_DOWN"
        board.publish(snapshot)
        #expect(try Self.get(server.port, "/readyz").body.contains("broker unreachable"))
        snapshot.brokerReachable = true
        // The tile layout: a stage still rebuilding holds its tiles' alerts back (issue 18).
        snapshot.stagesRebuilding = ["scan": 2, "lifecycle": 1]
        board.publish(snapshot)
        let stages = try Self.get(server.port, "/readyz")
        #expect(stages.status == 503 && stages.body.contains("rebuilding stage state: lifecycle (1 partition), scan (2 partitions)"))
        #expect(try Self.get(server.port, "/metrics").body.contains("vigil_ready 0"))
        snapshot.stagesRebuilding = [:]
        // A rebalance that does not complete: the stage's or the main pipeline's group, named.
        snapshot.stagesUnsettled = ["scan-1": ("wait-sync", 95)]
        board.publish(snapshot)
        let unsettled = try Self.get(server.port, "/readyz")
        #expect(unsettled.status == 503 && unsettled.body.contains("stage consumer group not settled: scan-1 (wait-sync for 95 s)"))
        snapshot.stagesUnsettled = [:]
        snapshot.groupUnsettled = ("wait-join", 61)
        board.publish(snapshot)
        #expect(try Self.get(server.port, "/readyz").body.contains("consumer group not settled: wait-join for 61 s"))
        snapshot.groupUnsettled = nil
        board.publish(snapshot)
        #expect(try Self.get(server.port, "/readyz").status == 200)
        let metrics = try Self.get(server.port, "/metrics")
        #expect(metrics.status == 200 && metrics.type == PrometheusExposition.contentType && metrics.body.contains("vigil_ready 1\n"))
        let geo = try Self.get(server.port, "/hotspots")
        #expect(geo.status == 200 && geo.type == "application/geo+json" && geo.body == #"{"type":"FeatureCollection","features":[]}"#)
        #expect(try Self.get(server.port, "/nope").status == 404)
        #expect(try Self.get(server.port, "/aggregates?cell=bad").status == 400)
    }

    @Test func aggregatesAreAnsweredThroughTheMailboxOrTimeOut() throws {
        let board = OperationsBoard()
        let server = try AdminServer(
            host: "127.0.0.1", port: 0, router: AdminRouter(board: board, grid: Self.grid), board: board,
            answerTimeout: .milliseconds(300))
        defer { server.stop() }
        #expect(try Self.get(server.port, "/aggregates?cell=x1y2").status == 503, "nobody drains the mailbox")
        _ = board.takeQuestions()  // the unanswered question; answering it late must be harmless
        let stop = Locked(false)
        let loop = Thread {
            while !stop.withLock({ $0 }) {
                for q in board.takeQuestions() { q.reply(q.query.answer([:])) }
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        loop.start()
        defer { stop.withLock { $0 = true } }
        let answer = try Self.get(server.port, "/aggregates?cell=x1y2")
        #expect(answer.status == 200 && answer.body.contains(#""cell":"x1y2""#))
        #expect(try Self.get(server.port, "/aggregates?neighbourhood=Nowhere").status == 404)
    }
}

final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
