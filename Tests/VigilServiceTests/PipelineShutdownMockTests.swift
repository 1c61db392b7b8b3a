import Foundation
import Logging
import Testing
import VigilKafka

@testable import VigilService

/// Issue 12, "shutdown can outlast TimeoutStopSec": a stop requested while the dead-letter
/// topic's leader is down and the group's coordinator is down or stalled. The drain gives the
/// undeliverable outputs up at its budget (said in the statistics and the log), the commit and
/// leaving the group do not wait for the coordinator, and nothing is lost: the inputs whose
/// outputs were given up stay uncommitted and the next run delivers them. Measured with this
/// test: 17 s from the stop to the end of `run()` with the default 20 s budget (RELIABILITY.md).
@Suite("IncidentPipeline on a mock cluster: stopping while brokers are down or stalled", .serialized)
struct PipelineShutdownMockTests {
    /// How the group's coordinator (broker 1) fails at the moment of the stop.
    enum CoordinatorFault: String, CaseIterable, Sendable {
        /// Connection refused: requests fail at once.
        case down
        /// Connected but answering after 120 s: requests wait for their timeouts.
        case stalled
    }

    @Test(arguments: CoordinatorFault.allCases)
    func aStopWhileTheBrokerFailsGivesUpEveryWaitAtTheBudget(_ fault: CoordinatorFault) throws {
        // Broker 1 leads the input and coordinates the group; broker 2 leads the dead-letter topic.
        let cluster = try PipelineRecoveryMockTests.clusterWithTwentyIncidents(groupCommitted: 0, brokers: 2) { cluster in
            for topic in ["in", "alerts"] { try cluster.setLeader(topic, partition: 0, broker: 1) }
            try cluster.setLeader("dlq", partition: 0, broker: 2)
            try cluster.setGroupCoordinator("g", broker: 1)
        }
        let run = try PipelineRecoveryMockTests.start(on: cluster)
        run.waitUntilCommitted(20)
        // Five malformed records, each owing a dead letter that cannot be delivered.
        try cluster.setBroker(2, up: false)
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers]),
            logger: PipelineRecoveryMockTests.logger)
        for n in 0..<5 {
            try producer.send(
                OutgoingMessage(topic: "in", partition: 0, key: nil, value: Array("not json \(n)".utf8)), opaque: UInt64(n + 1))
        }
        _ = producer.flush(timeoutMs: 10_000)
        producer.close(timeoutMs: 0)
        Thread.sleep(forTimeInterval: 3)
        switch fault {
        case .down: try cluster.setBroker(1, up: false)
        case .stalled: try cluster.setRoundTrip(broker: 1, ms: 120_000)
        }
        run.pipeline.stop.request()
        // A hang guard, not a timing check (the budgets are held against the unit in
        // `ShutdownBudgetTests`): what is checked is that the stop gave the dead letters up.
        #expect(run.done.wait(timeout: .now() + 120) == .success, "the pipeline stopped")
        #expect(run.box.error == nil)
        #expect(run.pipeline.statistics.deadLettered == 5)
        #expect(run.pipeline.statistics.unacknowledgedAtStop == 5, "the undeliverable dead letters were given up at the budget, and said")

        // Nothing lost: the brokers come back; the inputs whose dead letters were not
        // acknowledged were not committed, so the next owner reads them again and delivers them.
        switch fault {
        case .down: try cluster.setBroker(1, up: true)
        case .stalled: try cluster.setRoundTrip(broker: 1, ms: 0)
        }
        try cluster.setBroker(2, up: true)
        let (next, _) = try PipelineRecoveryMockTests.runUntilCommitted(25, on: cluster)
        #expect(next.statistics.deadLettered == 5, "records 20..<25 dead-lettered by the next run")
        #expect(next.statistics.replayed == 20, "records 0..<20 rebuilt the state, not processed twice")
    }
}
