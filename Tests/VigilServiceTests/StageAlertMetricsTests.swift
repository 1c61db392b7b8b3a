import Testing
import VigilCore

@testable import VigilService

/// The tile layout's cluster alerts are published by its lifecycle stage, not by the main
/// pipeline: they must count in `vigil_alerts_total{kind=...}` as the pipeline's do, once each,
/// and only when published (a rebuild re-applies findings silently and publishes nothing).
@Suite struct StageAlertMetricsTests {
    typealias F = StageFixture
    typealias Statistics = StageLoop<LifecycleWork>.Statistics

    static func index(_ kind: Alert.Kind) -> Int { Alert.Kind.allCases.firstIndex(of: kind)! }

    /// A lifecycle rebuilt silently over the first half of the findings, then live over the rest,
    /// counts (as `StageLoop` counts a live record's output) exactly the alerts it sent to the
    /// alert topic, by kind, and nothing for the silent half.
    @Test func theLifecycleCountsItsPublishedAlertsByKindAndNotItsRebuild() {
        let findings = F.uninterrupted.findings
        let cut = findings.count / 2
        var lifecycle = LifecycleWork(engine: F.engine, partitions: F.partitions, rendering: F.rendering)
        var statistics = Statistics()
        var silent = 0
        for record in findings[..<cut] { silent += lifecycle.apply(record, live: false, now: F.now).alerts.count }
        #expect(silent == 0, "a rebuild publishes nothing")
        var sent = [Int](repeating: 0, count: Alert.Kind.allCases.count)
        for record in findings[cut...] {
            let out = lifecycle.apply(record, live: true, now: F.now)
            statistics.countPublished(out)
            for m in out.messages where m.topic == F.rendering.alertsTopic {
                let type = m.headers.last { $0.name == "ce_type" }?.stringValue ?? ""
                let kind = Alert.Kind(rawValue: String(type.dropFirst("org.vigil.alert.".count)))
                if let kind { sent[Self.index(kind)] += 1 } else { Issue.record("alert of type '\(type)'") }
            }
        }
        #expect(sent.reduce(0, +) > 0, "the live half publishes alerts")
        #expect(statistics.alertsByKind == sent)
    }

    /// `vigil_alerts_total` adds the stages' published alerts to the main pipeline's, per kind.
    /// Before, the lifecycle's were only in `vigil_stage_messages_sent_total`.
    @Test func vigilAlertsTotalIncludesTheLifecycleStagesAlerts() {
        var snapshot = OperationsSnapshot()
        snapshot.statistics.countAlert(.surge)
        snapshot.statistics.countAlert(.clusterEmerging)  // a main pipeline with its own scan (not both, in practice)
        var lifecycle = StageBoard.Counters()
        lifecycle.alerts[Self.index(.clusterEmerging)] = 2
        lifecycle.alerts[Self.index(.clusterEnded)] = 5
        let text = PrometheusExposition.render(
            snapshot, startTime: 0, librdkafka: "2.16.0", vigil: "0.1.0",
            stages: ["lifecycle": lifecycle, "scan": .init(), "router": .init()])
        #expect(text.contains("vigil_alerts_total{kind=\"surge\"} 1\n"))
        #expect(text.contains("vigil_alerts_total{kind=\"cluster_emerging\"} 3\n"))
        #expect(text.contains("vigil_alerts_total{kind=\"cluster_ended\"} 5\n"))
        #expect(text.contains("vigil_alerts_total{kind=\"cluster_grew\"} 0\n"))
    }
}
