import VigilCore

extension WindowSpec {
    /// `windows.horizons`: the aggregate windows kept per key (defaults: `WindowSpec.defaults`).
    static func readHorizons(_ r: inout ConfigReader) throws(ConfigurationError) -> [WindowSpec] {
        var windows: [WindowSpec] = []
        for text in try r.strings("windows.horizons", default: defaults.map(\.description)) {
            guard let spec = WindowSpec.parse(text) else {
                throw ConfigurationError(
                    key: "windows.horizons", message: "'\(text)' is not horizon/resolution", fix: "write entries like \"24h/1h\"")
            }
            if let problem = spec.problem { throw ConfigurationError(key: "windows.horizons", message: "'\(text)': \(problem)", fix: nil) }
            windows.append(spec)
        }
        try VigilConfiguration.require(!windows.isEmpty, "windows.horizons", "must list at least one window", "e.g. [\"24h/1h\"]")
        return windows
    }
}
