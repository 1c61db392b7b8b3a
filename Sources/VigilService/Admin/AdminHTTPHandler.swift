import NIOCore
import NIOHTTP1
import Synchronization

/// One HTTP/1.1 exchange per request: route it, answer it (for `/aggregates` once the
/// processing loop has), keep the connection alive when the client asks; `/events` turns the
/// connection into a Server-Sent Events stream owned by the `EventStreamHub`.
final class AdminHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: AdminRouter
    private let board: OperationsBoard
    private let answerTimeout: TimeAmount
    private let streams: EventStreamHub?
    private var head: HTTPRequestHead?
    private var streaming = false

    init(router: AdminRouter, board: OperationsBoard, answerTimeout: TimeAmount, streams: EventStreamHub? = nil) {
        self.router = router
        self.board = board
        self.answerTimeout = answerTimeout
        self.streams = streams
    }

    /// Sent with every answer: the page runs only its own script and style, nothing is sniffed,
    /// framed or sent elsewhere. No `Access-Control-Allow-Origin`: other origins cannot read it.
    static func securityHeaders(tileOrigin: String?) -> [(String, String)] {
        [
            (
                "content-security-policy",
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:\(tileOrigin.map { " " + $0 } ?? ""); "
                    + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            ),
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
            ("cross-origin-resource-policy", "same-origin")
        ]
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head, !streaming else { return }
            self.head = nil
            let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let path = parts.first.map(String.init) ?? "/"
            let query = parts.count > 1 ? String(parts[1]) : nil
            let outcome = router.route(
                method: head.method.rawValue, path: path, query: query,
                authorization: head.headers.first(name: "authorization"),
                lastEventID: head.headers.first(name: "last-event-id"))
            switch outcome {
            case .respond(let response):
                write(response, for: head, context: context)
            case .stream(let after):
                startStream(after: after, for: head, context: context)
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

    private func makeHeaders(contentType: String, extra: [String: String]) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "cache-control", value: "no-store")
        for (name, value) in Self.securityHeaders(tileOrigin: router.page.tileOrigin) { headers.add(name: name, value: value) }
        for (name, value) in extra.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
        return headers
    }

    private func startStream(after: UInt64, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        if request.method == .HEAD, streams != nil {
            write(AdminResponse(status: 200, contentType: "text/event-stream; charset=utf-8", body: []), for: request, context: context)
            return
        }
        guard let streams, streams.count < streams.maxClients else {
            var r = AdminResponse.text(
                503, streams == nil ? "event stream not available" : "too many event-stream clients (admin.events_max_clients)")
            r.headers["retry-after"] = "10"
            write(r, for: request, context: context)
            return
        }
        var headers = makeHeaders(contentType: "text/event-stream; charset=utf-8", extra: ["x-accel-buffering": "no"])
        headers.add(name: "connection", value: "keep-alive")
        let head = HTTPResponseHead(version: request.version, status: .ok, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        // retry: how long the browser waits before reconnecting (and resuming with Last-Event-ID).
        context.writeAndFlush(
            wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: "retry: 2000\n\n")))), promise: nil)
        streaming = true
        _ = streams.add(context.channel, after: after)
    }

    private func write(_ response: AdminResponse, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = makeHeaders(contentType: response.contentType, extra: response.headers)
        headers.add(name: "content-length", value: String(response.body.count))
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
