import Synchronization
import VigilCore

/// What the tile layout's stages report to operators (`/metrics`), written by each stage's loop
/// once per poll and read by the admin server: records applied live and silently (rebuilds),
/// messages sent, alerts published by kind, malformed internal messages dead-lettered, partitions
/// owned and rebuilding.
final class StageBoard: Sendable {
    struct Counters: Sendable, Equatable {
        var live = 0
        var rebuilt = 0
        var sent = 0
        var malformed = 0
        var partitions = 0
        var rebuilding = 0
        /// Alerts published live (never while rebuilding), in `Alert.Kind.allCases` order: they count
        /// in `vigil_alerts_total` with the main pipeline's.
        var alerts = [Int](repeating: 0, count: Alert.Kind.allCases.count)
        /// Seconds the stage's consumer group membership has not been settled (`GroupSettlement`;
        /// 0 while steady), and the join state librdkafka last reported.
        var unsettledSeconds = 0
        var joinState = ""
    }

    /// How long a stage's group may stay unsettled before the daemon says it is not ready: a
    /// normal rebalance settles in seconds (a member's session timeout, 6 s by default, and a
    /// join round); a minute means it is not going to.
    static let unsettledLimit = 60

    private let counters = Mutex<[String: Counters]>([:])

    func update(_ stage: String, _ value: Counters) { counters.withLock { $0[stage] = value } }

    /// Every stage's counters, by stage name (empty without the tile layout).
    var snapshot: [String: Counters] { counters.withLock { $0 } }
}
