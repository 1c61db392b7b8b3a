import VigilCore
import VigilKafka

/// What one consumed record becomes before any engine sees it: a re-read to skip, a dead letter
/// with its reason, an incident held aside for a fast clock, or an incident to process.
///
/// The per-record half of the pipeline's decisions, beside `DeliveryStateMachine` (what happens
/// to the outputs) and `PartitionRecovery` (rebuilding an assigned partition). It owns the
/// input bookkeeping of the decision (`DeliveryStateMachine.beginInput` is asked first, so a
/// record read twice is never counted twice) and the `FutureHold`. No I/O and no clock: the
/// wall clock comes in with each record, so every path (a 1.2 MB message, a producer 23 h
/// ahead, an offset reset, a hostile timestamp) is tested without a broker (`RecordRouterTests`).
struct RecordRouter {
    enum Decision: Equatable {
        /// The fetch position moved backwards (an offset reset): this record was processed
        /// already, and its pending outputs still hold the commit back. Skip it.
        case alreadyProcessed
        /// Undecodable, or too far ahead of the clock: send `deadLetter` (its payload cut to
        /// what the topic accepts, the reason in headers) as the record's only output.
        case deadLetter(OutgoingMessage, reason: String, detail: String)
        /// Ahead of the clock by more than the allowed skew: held until the clock reaches
        /// `releaseMs`; the record causes nothing now and its offset may be committed.
        case held(Incident, releaseMs: Int64)
        /// Run it through its partition's engine.
        case process(Incident)
    }

    struct Configuration: Equatable {
        var deadLetterTopic: String
        /// A dead letter's payload is cut to this (`reliability.dead_letter_max_bytes`).
        var deadLetterMaxBytes: Int
    }

    let decoder: IncidentDecoder
    let configuration: Configuration
    var hold: FutureHold

    /// Decides for the record at `offset` of `tp`, whose payload is `value`, at wall clock
    /// `clockMs`. `message` copies the record; it is called only when the record is kept
    /// (held or dead-lettered), never for the common case.
    mutating func route(
        _ tp: TopicPartition, offset: Int64, value: UnsafeRawBufferPointer?, message: () -> KafkaMessage,
        clockMs: Int64, delivery: inout DeliveryStateMachine
    ) -> Decision {
        guard delivery.beginInput(tp, offset: offset) else { return .alreadyProcessed }
        switch decoder.decode(value) {
        case .failure(let error):
            return deadLetter(message(), reason: error.reason.rawValue, field: error.field, message: error.message)
        case .success(let incident):
            switch hold.admit(incident, message: message(), clockMs: clockMs) {
            case .process: return .process(incident)
            case .held(let releaseMs): return .held(incident, releaseMs: releaseMs)
            case .reject(let reason, let text): return deadLetter(message(), reason: reason, field: "event_time", message: text)
            }
        }
    }

    /// `route` for an owned payload (tests, tools).
    mutating func route(_ message: KafkaMessage, clockMs: Int64, delivery: inout DeliveryStateMachine) -> Decision {
        let tp = TopicPartition(message.topic, message.partition)
        guard let bytes = message.value else {
            return route(tp, offset: message.offset, value: nil, message: { message }, clockMs: clockMs, delivery: &delivery)
        }
        return bytes.withUnsafeBytes {
            route(tp, offset: message.offset, value: $0, message: { message }, clockMs: clockMs, delivery: &delivery)
        }
    }

    private func deadLetter(_ source: KafkaMessage, reason: String, field: String?, message: String) -> Decision {
        .deadLetter(
            OutputMessages.deadLetter(
                source, reason: reason, field: field, message: message,
                topic: configuration.deadLetterTopic, maxBytes: configuration.deadLetterMaxBytes),
            reason: reason, detail: message)
    }
}
