import TOMLKit
import VigilCore

/// Reads typed values from a TOML document with environment overrides, and remembers which keys
/// were read so that unknown (misspelt) keys can be reported instead of silently ignored.
///
/// An environment variable `VIGIL_<KEY>` (dots become underscores, upper case) overrides the
/// file, e.g. `VIGIL_KAFKA_BOOTSTRAP_SERVERS` for `kafka.bootstrap_servers`.
struct ConfigReader {
    private let root: TOMLTable
    private let environment: [String: String]
    private(set) var used: Set<String> = []
    /// Keys whose value came from the environment (shown in `check-config`).
    private(set) var fromEnvironment: Set<String> = []

    init(toml: String, environment: [String: String]) throws(ConfigurationError) {
        do {
            root = try TOMLTable(string: toml)
        } catch let error as TOMLParseError {
            throw ConfigurationError(
                key: "",
                message: "TOML syntax error at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)",
                fix: "correct the syntax (see Config/vigil.toml for a complete example)")
        } catch {
            throw ConfigurationError(key: "", message: "cannot parse TOML: \(error)", fix: nil)
        }
        self.environment = environment
    }

    static func environmentName(_ key: String) -> String {
        "VIGIL_" + key.uppercased().map { $0 == "." || $0 == "-" ? "_" : $0 }.map(String.init).joined()
    }

    private func lookup(_ key: String) -> TOMLValueConvertible? {
        var table: TOMLTable? = root
        let parts = key.split(separator: ".").map(String.init)
        for part in parts.dropLast() { table = table?[part]?.table }
        return table?[parts.last!]
    }

    private mutating func env(_ key: String) -> String? {
        used.insert(key)
        guard let value = environment[Self.environmentName(key)] else { return nil }
        fromEnvironment.insert(key)
        return value
    }

    mutating func string(_ key: String, default fallback: String) throws(ConfigurationError) -> String {
        if let value = env(key) { return value }
        guard let value = lookup(key) else { return fallback }
        guard let s = value.string else { throw typeError(key, value, "a string") }
        return s
    }

    mutating func optionalString(_ key: String) throws(ConfigurationError) -> String? {
        if let value = env(key) { return value }
        guard let value = lookup(key) else { return nil }
        guard let s = value.string else { throw typeError(key, value, "a string") }
        return s
    }

    mutating func int(_ key: String, default fallback: Int) throws(ConfigurationError) -> Int {
        if let value = env(key) {
            guard let i = Int(value) else {
                throw ConfigurationError(
                    key: key, message: "environment value '\(value)' is not an integer",
                    fix: "set \(Self.environmentName(key)) to a whole number")
            }
            return i
        }
        guard let value = lookup(key) else { return fallback }
        guard let i = value.int else { throw typeError(key, value, "an integer") }
        return i
    }

    /// An integer, or the string `word` standing for `wordValue` (e.g. `"auto"` for a count
    /// decided by the machine). Anything else names the key and both accepted forms.
    mutating func int(_ key: String, default fallback: Int, word: String, meaning wordValue: Int) throws(ConfigurationError) -> Int {
        if let value = env(key) {
            if value == word { return wordValue }
            guard let i = Int(value) else {
                throw ConfigurationError(
                    key: key, message: "environment value '\(value)' is neither an integer nor \"\(word)\"",
                    fix: "set \(Self.environmentName(key)) to a whole number or \(word)")
            }
            return i
        }
        guard let value = lookup(key) else { return fallback }
        if let i = value.int { return i }
        if value.string == word { return wordValue }
        throw typeError(key, value, "an integer or \"\(word)\"")
    }

    mutating func double(_ key: String, default fallback: Double) throws(ConfigurationError) -> Double {
        if let value = env(key) {
            guard let d = Double(value) else {
                throw ConfigurationError(
                    key: key, message: "environment value '\(value)' is not a number", fix: "set \(Self.environmentName(key)) to a number")
            }
            return d
        }
        guard let value = lookup(key) else { return fallback }
        if let d = value.double { return d }
        if let i = value.int { return Double(i) }
        throw typeError(key, value, "a number")
    }

    mutating func bool(_ key: String, default fallback: Bool) throws(ConfigurationError) -> Bool {
        if let value = env(key) {
            switch value.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw ConfigurationError(key: key, message: "environment value '\(value)' is not a boolean", fix: "use true or false")
            }
        }
        guard let value = lookup(key) else { return fallback }
        guard let b = value.bool else { throw typeError(key, value, "true or false") }
        return b
    }

    mutating func doubles(_ key: String, default fallback: [Double]) throws(ConfigurationError) -> [Double] {
        if let value = env(key) {
            let parts = value.split(separator: ",").map { Double($0.trimmingSpaces) }
            guard parts.allSatisfy({ $0 != nil }) else {
                throw ConfigurationError(
                    key: key, message: "environment value '\(value)' is not a comma-separated list of numbers", fix: nil)
            }
            return parts.map { $0! }
        }
        guard let value = lookup(key) else { return fallback }
        guard let array = value.array else { throw typeError(key, value, "an array of numbers") }
        var out: [Double] = []
        for element in array {
            if let d = element.double {
                out.append(d)
            } else if let i = element.int {
                out.append(Double(i))
            } else {
                throw typeError(key, value, "an array of numbers")
            }
        }
        return out
    }

    mutating func strings(_ key: String, default fallback: [String]) throws(ConfigurationError) -> [String] {
        if let value = env(key) { return value.split(separator: ",").map { String($0.trimmingSpaces) } }
        guard let value = lookup(key) else { return fallback }
        guard let array = value.array else { throw typeError(key, value, "an array of strings") }
        var out: [String] = []
        for element in array {
            guard let s = element.string else { throw typeError(key, value, "an array of strings") }
            out.append(s)
        }
        return out
    }

    /// The fix most duration keys give when their text is not a duration.
    static let durationFix = "write a duration like \"15m\", \"1h\", \"7d\" or \"1h30m\""

    /// A duration such as "15m" or "1h30m"; absent, `fallback`.
    mutating func duration(_ key: String, default fallback: EventDuration, fix: String = durationFix) throws(ConfigurationError)
        -> EventDuration
    {
        let text = try string(key, default: fallback.description)
        guard let d = EventDuration.parse(text) else {
            throw ConfigurationError(key: key, message: "'\(text)' is not a duration", fix: fix)
        }
        return d
    }

    /// A section that can be switched off: `<section>.enabled` (default true), then the values
    /// `read` returns, checked by `problems` whether enabled or not (so that enabling it later
    /// cannot surprise); nil when disabled.
    mutating func switchable<T>(
        _ section: String, _ read: (inout ConfigReader) throws(ConfigurationError) -> T,
        problems: (T) -> [(key: String, message: String)]
    ) throws(ConfigurationError) -> T? {
        let enabled = try bool("\(section).enabled", default: true)
        let values = try read(&self)
        if let problem = problems(values).first {
            throw ConfigurationError(key: "\(section).\(problem.key)", message: problem.message, fix: nil)
        }
        return enabled ? values : nil
    }

    /// A table of librdkafka properties (string keys; scalar values become strings).
    mutating func properties(_ key: String) throws(ConfigurationError) -> [String: String] {
        used.insert(key)
        guard let value = lookup(key) else { return [:] }
        guard let table = value.table else { throw typeError(key, value, "a table of librdkafka properties") }
        var out: [String: String] = [:]
        for name in table.keys {
            let v = table[name]!
            if let s = v.string {
                out[name] = s
            } else if let i = v.int {
                out[name] = String(i)
            } else if let b = v.bool {
                out[name] = String(b)
            } else if let d = v.double {
                out[name] = String(d)
            } else {
                throw typeError("\(key).\(name)", v, "a string, number or boolean")
            }
        }
        return out
    }

    /// Every leaf key in the file that no reader asked for.
    func unknownKeys() -> [String] {
        var unknown: [String] = []
        func walk(_ table: TOMLTable, _ prefix: String) {
            for name in table.keys.sorted() {
                let key = prefix.isEmpty ? name : "\(prefix).\(name)"
                if used.contains(key) { continue }
                if let sub = table[name]?.table { walk(sub, key) } else { unknown.append(key) }
            }
        }
        walk(root, "")
        return unknown
    }

    private func typeError(_ key: String, _ value: TOMLValueConvertible, _ expected: String) -> ConfigurationError {
        ConfigurationError(
            key: key, message: "expected \(expected), found \(value.type) \(value.debugDescription)", fix: "write it as \(expected)")
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
