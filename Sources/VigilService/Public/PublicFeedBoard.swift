import Synchronization
import VigilCore

/// What the admin server shows of the public feed: the latest release of every stream (already
/// public, so serving it leaks nothing new) and the feed's counters for /metrics. Written by the
/// processing loop, read by admin threads.
final class PublicFeedBoard: Sendable {
    static let shared = PublicFeedBoard()

    struct Counters: Sendable, Equatable {
        var enabled = false
        var releases = 0
        var exhaustedStreams = 0
        var spentMicros: Int64 = 0
        var totalMicros: Int64 = 0
        var lateIncidents = 0
        var publishFailures = 0
    }

    private let latest = Mutex<[String: [UInt8]]>([:])
    private let counters = Mutex(Counters())

    func record(_ release: PublicRelease, json: [UInt8]) {
        latest.withLock { $0[release.stream] = json }
    }

    func update(_ body: (inout Counters) -> Void) { counters.withLock { body(&$0) } }

    var snapshot: Counters { counters.withLock { $0 } }

    /// `{"streams": [release, …]}` in stream order: the body of /public/aggregates.
    func aggregatesJSON() -> [UInt8] {
        let releases = latest.withLock { $0.sorted { $0.key < $1.key }.map(\.value) }
        var body = Array("{\"enabled\":\(snapshot.enabled),\"streams\":[".utf8)
        for (i, r) in releases.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body += r
        }
        body += Array("]}".utf8)
        return body
    }
}
