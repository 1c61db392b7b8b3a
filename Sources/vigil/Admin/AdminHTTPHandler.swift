import NIOCore
import Synchronization
import NIOHTTP1

/// One HTTP/1.1 exchange per request: route it, answer it (for `/aggregates` once the
/// processing loop has), keep the connection alive when the client asks.
final class AdminHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: AdminRouter
    private let board: OperationsBoard
    private let answerTimeout: TimeAmount
    private var head: HTTPRequestHead?

    init(router: AdminRouter, board: OperationsBoard, answerTimeout: TimeAmount) {
        self.router = router
        self.board = board
        self.answerTimeout = answerTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let path = parts.first.map(String.init) ?? "/"
            let query = parts.count > 1 ? String(parts[1]) : nil
            switch router.route(method: head.method.rawValue, path: path, query: query) {
            case .respond(let response):
                write(response, for: head, context: context)
            case .ask(let question):
                let promise = context.eventLoop.makePromise(of: AdminResponse.self)
                let once = AnswerOnce()
                board.ask(AggregatesRequest(query: question) { if once.claim() { promise.succeed($0) } })
                let timeout = context.eventLoop.scheduleTask(in: answerTimeout) {
                    if once.claim() { promise.succeed(.text(503, "the processing loop did not answer in time")) }
                }
                promise.futureResult.assumeIsolated().whenSuccess { [self] response in
                    timeout.cancel()
                    write(response, for: head, context: context)
                }
            }
        }
    }

    private func write(_ response: AdminResponse, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: response.contentType)
        headers.add(name: "content-length", value: String(response.body.count))
        headers.add(name: "cache-control", value: "no-store")
        let keepAlive = request.isKeepAlive
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

/// Lets exactly one of the loop's answer and the timeout complete a request.
private final class AnswerOnce: Sendable {
    private let taken = Atomic<Bool>(false)
    func claim() -> Bool { !taken.exchange(true, ordering: .acquiringAndReleasing) }
}
