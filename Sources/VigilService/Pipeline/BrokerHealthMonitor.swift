import Foundation
import Logging
import Synchronization
import VigilKafka

/// Whether the brokers answer, checked from a thread of its own every `interval`.
///
/// A stopped or unreachable broker stalls the pipeline silently (librdkafka retries for a long
/// time), so readiness asks the cluster directly instead of inferring from traffic. Transitions
/// are logged once each way; `state` is read by readiness and status reporting.
final class BrokerHealthMonitor: Sendable {
    struct State: Sendable, Equatable {
        var reachable: Bool
        /// Why not, when unreachable.
        var reason: String?
        /// Consecutive failed checks.
        var failures: Int
    }

    private let probe: KafkaBrokerProbe
    private let logger: Logger
    private let interval: Duration
    private let timeoutMs: Int32
    private let current = Mutex(State(reachable: true, reason: nil, failures: 0))
    private let stopped = Atomic<Bool>(false)

    init(probe: KafkaBrokerProbe, logger: Logger, interval: Duration = .seconds(1), timeoutMs: Int32 = 2000) {
        self.probe = probe
        self.logger = logger
        self.interval = interval
        self.timeoutMs = timeoutMs
    }

    var state: State { current.withLock { $0 } }

    func start() {
        let thread = Thread { [self] in
            while !stopped.load(ordering: .relaxed) {
                record(probe.check(timeoutMs: timeoutMs))
                Thread.sleep(forTimeInterval: interval.seconds)
            }
        }
        thread.name = "vigil-broker-health"
        thread.start()
    }

    func stop() { stopped.store(true, ordering: .relaxed) }

    private func record(_ error: KafkaError?) {
        let (before, after) = current.withLock { state -> (State, State) in
            let before = state
            if let error {
                state = State(reachable: false, reason: "\(error)", failures: state.failures + 1)
            } else {
                state = State(reachable: true, reason: nil, failures: 0)
            }
            return (before, state)
        }
        if before.reachable && !after.reachable {
            logger.warning("broker unreachable; readiness is degraded", metadata: ["kafka.error": "\(after.reason ?? "")"])
        } else if !before.reachable && after.reachable {
            logger.notice("broker reachable again", metadata: ["health.failed_checks": "\(before.failures)"])
        }
    }
}
