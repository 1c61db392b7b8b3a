import VigilCore

extension VigilConfiguration {
    /// `[model]`: the near-repeat risk model (the daemon reloads it from `path` on request).
    /// Reading only names the file; `loadingModel()` reads it, at startup.
    struct Model {
        /// Resolved path of the model file; nil when scoring is disabled.
        var path: String?
        var threshold = 0.5
        var topFeatures = 5

        /// `directory` resolves a relative `model.path` (nil: the working directory).
        static func read(_ r: inout ConfigReader, directory: String?) throws(ConfigurationError) -> Model {
            var m = Model()
            let pathText = try r.string("model.path", default: "")
            m.path = pathText.isEmpty ? nil : ModelFile.resolve(pathText, relativeTo: directory)
            m.threshold = try r.double("model.threshold", default: m.threshold)
            m.topFeatures = try r.int("model.top_features", default: m.topFeatures)
            try require(
                m.threshold > 0 && m.threshold <= 1, "model.threshold", "must be in (0, 1]",
                "pick it from the evaluation in docs/ACCURACY.md, e.g. the top 5% of scores")
            try require((0...50).contains(m.topFeatures), "model.top_features", "must be between 0 and 50", nil)
            return m
        }
    }

    /// This configuration with the model file at `model.path` loaded into the engine (unchanged
    /// when scoring is off): the startup step after parsing, for every command and for reload. A
    /// file that cannot be read or does not fit the engine's features throws, naming `model.path`.
    func loadingModel() throws(ConfigurationError) -> VigilConfiguration {
        guard let path = model.path else { return self }
        var loaded = self
        loaded.engine.risk = try ModelFile.load(
            path: path, configuration: engine, threshold: model.threshold, topFeatures: model.topFeatures)
        return loaded
    }
}
