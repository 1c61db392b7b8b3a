import Foundation
import Synchronization
import VigilCore

/// The thread-safe side of operations: the latest snapshot, the loop's heartbeat, pending
/// `/aggregates` questions and a pending reload. The admin server and signal handlers touch
/// only this; the processing loop writes it through `OperationsHub` once per iteration.
final class OperationsBoard: Sendable {
    private let latest = Mutex(OperationsSnapshot())
    private let heartbeat = Atomic<Int64>(0)
    private let questions = Mutex<[AggregatesRequest]>([])
    private let reload = Atomic<Bool>(false)
    /// Process start, seconds since the epoch (`process_start_time_seconds`).
    let startTime: Double
    /// How long the loop may go without an iteration before `/healthz` says it is stuck.
    let stallAfter: Duration
    private let origin = ContinuousClock.now - .seconds(1)
    /// Published alerts for the page's `/events` stream, and recent incidents for its map.
    let alertFeed: AlertFeed
    let recentIncidents: RecentIncidents
    /// The tile layout's stages (`[scale_out]`), for `/metrics`.
    let stages = StageBoard()

    init(
        startTime: Double = Date().timeIntervalSince1970, stallAfter: Duration = .seconds(30),
        alertFeed: AlertFeed = AlertFeed(), recentIncidents: RecentIncidents = RecentIncidents()
    ) {
        self.startTime = startTime
        self.stallAfter = stallAfter
        self.alertFeed = alertFeed
        self.recentIncidents = recentIncidents
    }

    var snapshot: OperationsSnapshot { latest.withLock { $0 } }

    func publish(_ snapshot: OperationsSnapshot) { latest.withLock { $0 = snapshot } }

    // MARK: Liveness

    func beat(_ now: ContinuousClock.Instant = .now) {
        heartbeat.store(nanoseconds(now), ordering: .releasing)
    }

    /// True when the loop has iterated within `stallAfter` (false before its first iteration).
    func isLoopAlive(_ now: ContinuousClock.Instant = .now) -> Bool {
        let last = heartbeat.load(ordering: .acquiring)
        guard last != 0 else { return false }
        return nanoseconds(now) - last <= stallAfter.nanoseconds
    }

    private func nanoseconds(_ instant: ContinuousClock.Instant) -> Int64 {
        max(1, (instant - origin).nanoseconds)
    }

    // MARK: Aggregates mailbox

    func ask(_ request: AggregatesRequest) { questions.withLock { $0.append(request) } }

    /// Everything asked since the last call (processing loop only).
    func takeQuestions() -> [AggregatesRequest] {
        questions.withLock { pending in
            guard !pending.isEmpty else { return [] }
            defer { pending.removeAll() }
            return pending
        }
    }

    /// Whether a question waits (the loop brings its engines home before it answers).
    var hasQuestions: Bool { questions.withLock { !$0.isEmpty } }

    // MARK: Reload

    func requestReload() { reload.store(true, ordering: .releasing) }

    func takeReloadRequest() -> Bool { reload.exchange(false, ordering: .acquiringAndReleasing) }

    /// Whether a reload waits, without taking it.
    var hasReloadRequest: Bool { reload.load(ordering: .acquiring) }
}
