import VigilCore
import VigilKafka

/// The tile scan stage: one `ScanPartition` per assigned routed partition, fed only that
/// partition's messages (frames of them, `RoutedFrameCodec`) (its tiles' incidents, their halo, the city's ticks and counts); each
/// finding goes to the findings topic's one partition, keyed by the routed partition it came from,
/// so the lifecycle can merge the partitions' findings into the city's order.
///
/// A routed message this build cannot read (another version, foreign bytes) is dead-lettered with
/// the reason and skipped: it was not written by a router of this build, so no finding depends on it.
struct ScanWork: StageWork {
    private let engine: EngineConfiguration
    private let decoder: IncidentDecoder
    private let findingsTopic: String
    private let deadLetterTopic: String
    private let deadLetterMaxBytes: Int
    private var scans: [Int32: ScanPartition] = [:]
    private(set) var malformed = 0

    init(engine: EngineConfiguration, decoder: IncidentDecoder, findingsTopic: String, deadLetterTopic: String, deadLetterMaxBytes: Int) {
        self.engine = engine
        self.decoder = decoder
        self.findingsTopic = findingsTopic
        self.deadLetterTopic = deadLetterTopic
        self.deadLetterMaxBytes = deadLetterMaxBytes
    }

    /// The scans held now, by routed partition (for statistics and tests).
    var partitions: [Int32: ScanPartition] { scans }

    mutating func begin(_ partition: Int32) { scans[partition] = ScanPartition(configuration: engine) }

    mutating func end(_ partition: Int32) { scans[partition] = nil }

    mutating func apply(_ record: KafkaMessage, live: Bool, now: Timestamp) -> StageOutput {
        if scans[record.partition] == nil { scans[record.partition] = ScanPartition(configuration: engine) }
        // What the record holds, checked whole before any of it is applied: a frame (what the
        // router sends), or one message with its envelope in a header.
        var entries: [RoutedFrameCodec.Entry]
        if record.headers.contains(where: { $0.name == StageHeaders.frame }) {
            do { entries = try RoutedFrameCodec.decode(record.value ?? []) } catch { return deadLetter(record, error.reason) }
        } else if let envelope = record.headers.last(where: { $0.name == StageHeaders.route })?.value {
            do {
                let message = try RoutedMessageCodec.decode(envelope)
                var incident: [UInt8]?
                if case .incident = message { incident = record.value ?? [] }
                entries = [RoutedFrameCodec.Entry(message, incident: incident)]
            } catch {
                return deadLetter(record, error.reason)
            }
        } else {
            return deadLetter(record, "the routed message has neither a \(StageHeaders.frame) nor a \(StageHeaders.route) header")
        }
        var incidents: [Incident?] = []
        incidents.reserveCapacity(entries.count)
        for entry in entries {
            guard let bytes = entry.incident else {
                incidents.append(nil)
                continue
            }
            switch decoder.decode(bytes) {
            case .success(let decoded): incidents.append(decoded)
            case .failure(let error): return deadLetter(record, "a routed incident does not decode: \(error)")
            }
        }
        let key = Array(String(record.partition).utf8)
        var out = StageOutput()
        for (entry, incident) in zip(entries, incidents) {
            for finding in scans[record.partition]!.apply(entry.message, incident: incident) {
                // A tick's re-checks with no result are not sent: the lifecycle learns that this
                // partition passed the tick from its next finding (the router's marks, one per
                // poll batch, guarantee one), and empty re-checks change nothing there (an open
                // cluster is always watched by a partition). Most ticks have none.
                if case .rechecks(_, _, let results) = finding, results.isEmpty { continue }
                out.messages.append(
                    OutgoingMessage(topic: findingsTopic, partition: 0, key: key, value: ScanOutputCodec.encode(finding)))
            }
        }
        return out
    }

    mutating func batchEnded() -> [OutgoingMessage] { [] }

    private mutating func deadLetter(_ record: KafkaMessage, _ reason: String) -> StageOutput {
        malformed += 1
        return StageOutput(messages: [
            OutputMessages.deadLetter(
                record, reason: "malformed_stage_message", field: nil, message: reason, topic: deadLetterTopic,
                maxBytes: deadLetterMaxBytes)
        ])
    }
}
