import VigilCore
import VigilKafka

/// The lifecycle stage: reads the findings topic (one partition, so the group gives it to exactly
/// one instance), merges the scan partitions' findings into the city's order and publishes the
/// cluster alerts one engine would publish, to the alert topic (CloudEvents headers, CAP when
/// configured) and the log. Alert ids come from the cluster's content, so an alert published again
/// after a crash (its finding was past the last commit) has the id it had.
struct LifecycleWork: StageWork {
    struct Rendering {
        var alertsTopic: String
        var capTopic: String?
        var cap: OperationsSettings.CAP
        /// CloudEvents source, as the main pipeline's.
        var source: String
        var deadLetterTopic: String
        var deadLetterMaxBytes: Int
    }

    private let engine: EngineConfiguration
    private let partitions: Int
    private let rendering: Rendering
    private(set) var city: CityClusterLifecycle
    /// Findings dead-lettered (unreadable), plus those that contradict the layout (`conflicts`).
    var malformed: Int { unreadable + city.conflicts }
    private var unreadable = 0

    init(engine: EngineConfiguration, partitions: Int, rendering: Rendering) {
        self.engine = engine
        self.partitions = partitions
        self.rendering = rendering
        city = CityClusterLifecycle(configuration: engine, partitions: partitions)
    }

    mutating func begin(_ partition: Int32) { city = CityClusterLifecycle(configuration: engine, partitions: partitions) }

    mutating func end(_ partition: Int32) { city = CityClusterLifecycle(configuration: engine, partitions: partitions) }

    mutating func apply(_ record: KafkaMessage, live: Bool, now: Timestamp) -> StageOutput {
        guard let keyText = record.keyString, let from = Int(keyText), (0..<partitions).contains(from) else {
            return deadLetter(
                record,
                "the finding's key '\(record.keyString ?? "")' is not a scan partition 0..<\(partitions) (scale_out.partitions differs between instances?)"
            )
        }
        let finding: ScanOutput
        do { finding = try ScanOutputCodec.decode(record.value ?? []) } catch { return deadLetter(record, error.reason) }
        let alerts = city.receive(finding, from: from).filter { engine.alertKinds?.contains($0.kind) ?? true }
        guard live else { return StageOutput() }
        var out = StageOutput()
        for alert in alerts {
            let json = AlertJSON.encode(alert, detectedAt: now)
            out.alerts.append((json, alert.severity == .high, alert.kind))
            out.messages.append(
                OutputMessages.alert(
                    alert, json: json, topic: rendering.alertsTopic, source: rendering.source, detectedAt: now,
                    input: (record.topicPartition, record.offset)))
            if let capTopic = rendering.capTopic {
                out.messages.append(
                    OutputMessages.capAlert(
                        alert, cap: rendering.cap, grid: engine.grid, topic: capTopic, source: rendering.source, detectedAt: now))
            }
        }
        return out
    }

    mutating func batchEnded() -> [OutgoingMessage] { [] }

    private mutating func deadLetter(_ record: KafkaMessage, _ reason: String) -> StageOutput {
        unreadable += 1
        return StageOutput(messages: [
            OutputMessages.deadLetter(
                record, reason: "malformed_stage_message", field: nil, message: reason, topic: rendering.deadLetterTopic,
                maxBytes: rendering.deadLetterMaxBytes)
        ])
    }
}
