import Foundation
import VigilCore

/// Reads and validates a risk model file: the one way the daemon obtains a `RiskScorer`, at
/// startup and on reload. A bad file throws (naming `model.path`) and the caller keeps the model
/// it has: `engine.replaceModel(try ModelFile.load(...))` only swaps on success.
enum ModelFile {
    static func resolve(_ path: String, relativeTo directory: String?) -> String {
        guard !path.hasPrefix("/"), let directory, !directory.isEmpty else { return path }
        return (directory as NSString).appendingPathComponent(path)
    }

    static func load(path: String, configuration: EngineConfiguration, threshold: Double, topFeatures: Int) throws(ConfigurationError)
        -> RiskScorer
    {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ConfigurationError(
                key: "model.path", message: "cannot read model file '\(path)'",
                fix:
                    "point it at a model written by tools/train.py (relative paths are relative to the config file), or set it to \"\" to disable scoring"
            )
        }
        do {
            return try RiskScorer.load(bytes, configuration: configuration, threshold: threshold, topFeatures: topFeatures)
        } catch {
            throw ConfigurationError(
                key: "model.path", message: "model file '\(path)' rejected: \(error)",
                fix: "retrain with tools/train.py under this configuration ([windows], [rules.surge], [hotspots] shape the features)")
        }
    }
}
