import Foundation
import Logging
import VigilCore
import VigilKafka

/// Size and modification time of the model file: a cheap way to notice a new model was deployed.
struct ModelFileStamp: Equatable {
    var size: UInt64
    var modified: Date

    init?(path: String) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? NSNumber, let modified = attributes[.modificationDate] as? Date
        else { return nil }
        self.size = size.uint64Value
        self.modified = modified
    }
}

/// Hot model swaps: on SIGHUP (through `reload`) or when the model file changes on disk.
///
/// Swaps happen on the processing thread between batches, so no incident is scored by half a
/// model, dropped or processed twice. A file that does not load (unreadable, malformed, trained
/// for other features) is rejected with the reason logged, and the serving model stays.
extension OperationsHub {
    static let modelCheckInterval = Duration.seconds(5)

    func reloadModelIfFileChanged(
        _ config: inout VigilConfiguration, _ engines: inout [TopicPartition: IncidentEngine],
        now: ContinuousClock.Instant
    ) {
        if modelVersion == nil, let risk = config.engine.risk { modelVersion = Self.describe(risk) }
        guard let path = config.model.path else { return }
        if let last = lastModelCheck, now - last < Self.modelCheckInterval { return }
        lastModelCheck = now
        let stamp = ModelFileStamp(path: path)
        guard let seen = modelFileSeen else {
            modelFileSeen = stamp
            return
        }
        guard stamp != seen else { return }
        modelFileSeen = stamp
        do {
            let scorer = try ModelFile.load(
                path: path, configuration: config.engine, threshold: config.model.threshold,
                topFeatures: config.model.topFeatures)
            guard scorer.hash != config.engine.risk?.hash else { return }
            swapModel(scorer, into: &config, &engines, reason: "model file changed")
        } catch {
            logger.error(
                "new model file rejected; the previous model keeps serving",
                metadata: [
                    "model.path": "\(path)", "error": "\(error)",
                    "model.serving": "\(config.engine.risk.map(Self.describe) ?? "none")"
                ])
        }
    }

    /// Puts `scorer` into every engine and the configuration new partitions are built from.
    func swapModel(
        _ scorer: RiskScorer?, into config: inout VigilConfiguration, _ engines: inout [TopicPartition: IncidentEngine],
        reason: String
    ) {
        for tp in Array(engines.keys) {
            do {
                try engines[tp]!.replaceModel(scorer)
            } catch {
                // Cannot happen for a model validated against this configuration; keep serving.
                logger.error(
                    "model swap refused by a partition's engine; the previous model keeps serving",
                    metadata: ["kafka.partition": "\(tp)", "error": "\(error)"])
                return
            }
        }
        let previous = config.engine.risk.map(Self.describe) ?? "none"
        config.engine.risk = scorer
        if let path = config.model.path { modelFileSeen = ModelFileStamp(path: path) }
        modelVersion = scorer.map(Self.describe)
        logger.notice(
            "model swapped",
            metadata: [
                "model.previous": "\(previous)", "model.serving": "\(modelVersion ?? "none")",
                "reason": "\(reason)"
            ])
    }

    /// Same file contents, threshold and explanation depth.
    static func sameModel(_ a: RiskScorer?, _ b: RiskScorer?) -> Bool {
        a?.hash == b?.hash && a?.threshold == b?.threshold && a?.topFeatures == b?.topFeatures
    }

    static func describe(_ scorer: RiskScorer) -> String { "\(scorer.version) (\(scorer.hash))" }
}
