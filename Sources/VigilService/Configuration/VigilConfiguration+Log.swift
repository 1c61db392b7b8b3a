extension VigilConfiguration {
    /// `[log]`: level and line format of the daemon's log.
    struct Log {
        enum Format: String { case json, logfmt }
        var level = "info"
        var format = Format.json

        static let validLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

        static func read(_ r: inout ConfigReader) throws(ConfigurationError) -> Log {
            var log = Log()
            log.level = try r.string("log.level", default: log.level)
            try require(
                validLevels.contains(log.level), "log.level", "'\(log.level)' is not a log level",
                "use one of \(validLevels.joined(separator: ", "))")
            let formatText = try r.string("log.format", default: log.format.rawValue)
            guard let format = Format(rawValue: formatText) else {
                throw ConfigurationError(
                    key: "log.format", message: "'\(formatText)' is not a log format", fix: "use \"json\" or \"logfmt\"")
            }
            log.format = format
            return log
        }
    }
}
