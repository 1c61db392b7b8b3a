import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin HTTP listener (SwiftNIO, one event-loop thread): health, readiness, metrics,
/// hotspots, aggregates, and the operator's page with its `/events` stream. Bound to loopback by default; it never blocks the processing loop.
final class AdminServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    /// The `/events` clients (nil when the page is disabled).
    let streams: EventStreamHub?
    /// The address actually bound (the port is the chosen one when 0 was asked for).
    let boundAddress: String
    let port: Int

    /// Binds `host:port` (port 0 picks a free one) and starts serving.
    init(host: String, port: Int, router: AdminRouter, board: OperationsBoard, answerTimeout: TimeAmount = .seconds(5)) throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let streams =
            router.page.enabled
            ? EventStreamHub(feed: board.alertFeed, maxClients: router.page.maxEventClients, loop: group.next()) : nil
        self.streams = streams
        do {
            channel = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(
                            AdminHTTPHandler(router: router, board: board, answerTimeout: answerTimeout, streams: streams))
                    }
                }
                .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        self.port = channel.localAddress?.port ?? port
        boundAddress = "\(host.contains(":") ? "[\(host)]" : host):\(self.port)"
    }

    func stop() {
        streams?.stop()
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}
