import NIOCore
import NIOHTTP1

/// The `/events` clients of one admin server and the loop that feeds them from the `AlertFeed`.
///
/// Confined to the server's event loop. Every 100 ms it sends each client the alerts it has not
/// seen, at most `batch` per client per round and only while the client's socket accepts data
/// (NIO's writability): a slow client falls behind in the ring, never holds memory beyond its
/// socket buffer, and never slows the processing loop, which only appends to the ring.
final class EventStreamHub: @unchecked Sendable {
    private struct Client {
        var channel: any Channel
        var lastID: UInt64
        var lastWrite: NIODeadline
    }

    let feed: AlertFeed
    let maxClients: Int
    let heartbeat: TimeAmount
    let batch = 64
    private let loop: any EventLoop
    private var clients: [ObjectIdentifier: Client] = [:]
    private var task: RepeatedTask?

    init(feed: AlertFeed, maxClients: Int, loop: any EventLoop, heartbeat: TimeAmount = .seconds(15)) {
        self.feed = feed
        self.maxClients = maxClients
        self.loop = loop
        self.heartbeat = heartbeat
    }

    var count: Int {
        loop.preconditionInEventLoop()
        return clients.count
    }

    /// Adds a client whose response head was written; false when the cap is reached.
    func add(_ channel: any Channel, after: UInt64) -> Bool {
        loop.preconditionInEventLoop()
        guard clients.count < maxClients else { return false }
        let id = ObjectIdentifier(channel)
        clients[id] = Client(channel: channel, lastID: after, lastWrite: .now())
        channel.closeFuture.whenComplete { [self] _ in
            loop.execute { self.clients[id] = nil }
        }
        if task == nil {
            task = loop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(100)) { [self] _ in pump() }
        }
        return true
    }

    func stop() {
        loop.execute { [self] in
            task?.cancel()
            task = nil
            for client in clients.values { client.channel.close(promise: nil) }
            clients.removeAll()
        }
    }

    private func pump() {
        let latest = feed.latestID
        let now = NIODeadline.now()
        for (id, var client) in clients {
            guard client.channel.isActive else {
                clients[id] = nil
                continue
            }
            guard client.channel.isWritable else { continue }
            var text: [UInt8] = []
            if client.lastID != latest {
                let page = feed.events(after: client.lastID, limit: batch)
                if page.gap, let first = page.events.first {
                    text += Array(
                        "event: gap\ndata: {\"next_id\":\(first.id),\"reason\":\"events before it left the ring of \(feed.capacity)\"}\n\n"
                            .utf8)
                }
                for event in page.events { text += Self.frame(event) }
                if let last = page.events.last { client.lastID = last.id } else if client.lastID > latest { client.lastID = latest }
            }
            if text.isEmpty && now - client.lastWrite >= heartbeat { text = Array(": heartbeat\n\n".utf8) }
            guard !text.isEmpty else { continue }
            client.lastWrite = now
            clients[id] = client
            let buffer = client.channel.allocator.buffer(bytes: text)
            client.channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        }
    }

    /// One alert as an SSE event: `id`, `event: alert`, one `data:` line per JSON line.
    static func frame(_ event: AlertFeed.Event) -> [UInt8] {
        var out = Array("id: \(event.id)\nevent: alert\n".utf8)
        var json = event.json[...]
        while json.last == 0x0A || json.last == 0x0D { json = json.dropLast() }
        for line in json.split(separator: 0x0A, omittingEmptySubsequences: false) {
            out += Array("data: ".utf8)
            out += line
            out.append(0x0A)
        }
        out.append(0x0A)
        return out
    }
}
