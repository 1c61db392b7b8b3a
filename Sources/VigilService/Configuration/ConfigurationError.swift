/// A configuration problem, naming the key and how to fix it; startup stops on it.
struct ConfigurationError: Error, CustomStringConvertible {
    /// Dotted key, e.g. "rules.count.window"; empty for whole-file problems.
    var key: String
    var message: String
    var fix: String?

    var description: String {
        let place = key.isEmpty ? "" : "'\(key)': "
        return "configuration error: \(place)\(message)\(fix.map { ". Fix: \($0)" } ?? "")"
    }
}
