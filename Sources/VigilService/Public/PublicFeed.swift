import Foundation
import Logging
import VigilCore
import VigilKafka

/// The live public feed inside `vigil run`: counts each accepted incident into the releaser and,
/// when the lowest watermark of the held partitions passes a scheduled period's end, persists the ledger and
/// publishes the releases on `topics.public`. The pipeline calls `accept` once per incident.
///
/// Only `PublicReleaseFormat.json` output is ever produced to the topic; the Kafka timestamp is the
/// period's end (a schedule boundary), not the wall clock, so not even release timing depends on data.
final class PublicFeed {
    private var releaser: PublicReleaser
    private var random = SystemRandomBits()
    private let producer: KafkaProducer
    private let topic: String
    private let statePath: String
    private let logger: Logger
    private let board = PublicFeedBoard.shared

    init(settings: PublicSettings, topic: String, bounds: GeoBounds, producerProperties: KafkaConfiguration, logger: Logger) throws {
        let saved = try PublicStateFile.load(path: settings.statePath)
        releaser = PublicReleaser(configuration: settings.releaseConfiguration(), domain: settings.domain(bounds: bounds), restoring: saved)
        producer = try KafkaProducer(configuration: producerProperties, logger: logger)
        self.topic = topic
        statePath = settings.statePath
        self.logger = logger
        for stream in releaser.state.streams where stream.stopped {
            logger.error(
                "public stream stopped: budget exhausted, or its ε or horizon changed since its ledger was written (a new ledger is a deliberate act: docs/PRIVACY.md)",
                metadata: ["public.stream": "\(stream.name)"])
        }
        let stopped = releaser.state.streams.filter(\.stopped).count
        board.update { $0.exhaustedStreams = stopped }
        let spent = releaser.state.accountant.spentMicros
        let total = releaser.state.accountant.totalMicros
        board.update {
            $0.enabled = true
            $0.spentMicros = spent
            $0.totalMicros = total
        }
        logger.info(
            "public feed on",
            metadata: [
                "public.topic": "\(topic)", "public.state": "\(statePath)", "public.restored": "\(saved != nil)",
                "public.epsilon.spent": "\(PrivacyAccountant.format(micros: spent))",
                "public.epsilon.total": "\(PrivacyAccountant.format(micros: total))"
            ])
    }

    /// One accepted (or silently replayed) incident; `watermark`: the lowest over the held partitions.
    func accept(_ incident: Incident, watermark: Timestamp?) throws {
        releaser.record(incident)
        guard let low = watermark else { return }
        let actions = releaser.advance(to: low, using: &random)
        let late = releaser.lateIncidents
        board.update { $0.lateIncidents = late }
        guard !actions.isEmpty else { return }
        // Ledger first: a crash before the sends loses those releases; it can never re-noise them.
        try PublicStateFile.save(releaser.state, path: statePath)
        for action in actions {
            switch action {
            case .publish(let release):
                let json = PublicReleaseFormat.json(release)
                try producer.send(
                    OutgoingMessage(
                        topic: topic, key: Array(release.stream.utf8), value: json,
                        headers: [KafkaHeader("content-type", "application/json")], timestamp: release.periodEnd.milliseconds), opaque: 0)
                board.record(release, json: json)
                board.update { $0.releases += 1 }
            case .exhausted(let stream, let needed, let remaining):
                board.update { $0.exhaustedStreams += 1 }
                logger.error(
                    "public release stopped: privacy budget exhausted",
                    metadata: [
                        "public.stream": "\(stream)", "public.epsilon.needed": "\(PrivacyAccountant.format(micros: needed))",
                        "public.epsilon.remaining": "\(PrivacyAccountant.format(micros: max(0, remaining)))"
                    ])
            }
        }
        let spent = releaser.state.accountant.spentMicros
        board.update { $0.spentMicros = spent }
        pollDeliveries()
    }

    func pollDeliveries() {
        for report in producer.poll(timeoutMs: 0) where report.error != nil {
            board.update { $0.publishFailures += 1 }
            logger.error(
                "public release not delivered (not re-sent: the ledger already counts it)", metadata: ["kafka.error": "\(report.error!)"])
        }
    }

    func close() {
        for report in producer.flush(timeoutMs: 10_000) where report.error != nil {
            board.update { $0.publishFailures += 1 }
        }
        producer.close(timeoutMs: 1000)
    }
}
