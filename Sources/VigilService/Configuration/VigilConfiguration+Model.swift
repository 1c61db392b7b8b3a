import VigilCore

extension VigilConfiguration {
    /// `[model]`: the near-repeat risk model (the daemon reloads it from `path` on request).
    /// Reading only names the file; `loadingFiles()` reads it, at startup.
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

    /// This configuration with every file it names read: the TLS files checked and the secrets
    /// read (`[kafka]`), the public neighbourhood list (`[public]`), and the model at
    /// `model.path` loaded into the engine (unchanged when scoring is off). The startup step
    /// after parsing, for every command and for reload: parsing itself reads no file. A file
    /// that cannot be read, or a model that does not fit the engine's features, throws, naming
    /// its key.
    func loadingFiles() throws(ConfigurationError) -> VigilConfiguration {
        var loaded = self
        loaded.security = try security.loadingFiles()
        loaded.publicFeed = try publicFeed.loadingFiles()
        if let path = model.path {
            loaded.engine.risk = try ModelFile.load(
                path: path, configuration: engine, threshold: model.threshold, topFeatures: model.topFeatures)
        }
        return loaded
    }
}
