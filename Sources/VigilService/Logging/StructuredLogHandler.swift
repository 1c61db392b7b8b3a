import Foundation
import Logging
import VigilCore

/// One log event per line: JSON objects by default, or logfmt. No colours, no multi-line output,
/// so journald and log shippers see one record per line.
struct StructuredLogHandler: LogHandler {
    enum Format: Sendable { case json, logfmt }

    let label: String
    let format: Format
    let output: LogOutput
    /// Shared with every handler of the process so a reload changes the level everywhere.
    let levelControl: LogLevelControl
    var logLevel: Logger.Level {
        get { levelControl.level }
        set { levelControl.level = newValue }
    }
    var metadata: Logger.Metadata = [:]

    /// `level`, when given, sets the shared level; a bootstrap factory passes none, so loggers
    /// created after a reload do not reset it.
    init(label: String, format: Format, level: Logger.Level? = nil, output: LogOutput = .shared, levelControl: LogLevelControl = .shared) {
        self.label = label
        self.format = format
        self.output = output
        self.levelControl = levelControl
        if let level { levelControl.level = level }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let now = Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        let line: [UInt8] =
            switch format {
            case .json: json(event, merged, now)
            case .logfmt: logfmt(event, merged, now)
            }
        output.write(line, priority: Self.syslogPriority(event.level))
    }

    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    private func json(_ event: LogEvent, _ metadata: Logger.Metadata, _ now: Timestamp) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.key("ts")
        w.timestamp(now)
        w.key("level")
        w.string(event.level.rawValue)
        w.key("logger")
        w.string(label)
        w.key("msg")
        w.string(event.message.description)
        for key in metadata.keys.sorted() {
            w.dynamicKey(key)
            w.rawJSON(Self.jsonValue(metadata[key]!))
        }
        w.endObject()
        return w.bytes
    }

    static func jsonValue(_ value: Logger.Metadata.Value) -> [UInt8] {
        var w = JSONWriter(capacity: 64)
        switch value {
        case .string(let s): w.string(s)
        case .stringConvertible(let c):
            if let i = c as? Int { w.int(i) } else if let b = c as? Bool { w.bool(b) } else { w.string(c.description) }
        case .array(let items):
            var out: [UInt8] = [0x5B]
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(0x2C) }
                out.append(contentsOf: jsonValue(item))
            }
            out.append(0x5D)
            return out
        case .dictionary(let dict):
            var out: [UInt8] = [0x7B]
            for (i, key) in dict.keys.sorted().enumerated() {
                if i > 0 { out.append(0x2C) }
                var kw = JSONWriter(capacity: 32)
                kw.string(key)
                out.append(contentsOf: kw.bytes)
                out.append(0x3A)
                out.append(contentsOf: jsonValue(dict[key]!))
            }
            out.append(0x7D)
            return out
        }
        return w.bytes
    }

    private func logfmt(_ event: LogEvent, _ metadata: Logger.Metadata, _ now: Timestamp) -> [UInt8] {
        func quote(_ s: String) -> String {
            if !s.isEmpty, s.allSatisfy({ $0 != " " && $0 != "\"" && $0 != "=" && !$0.isNewline }) { return s }
            return "\""
                + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        var parts = ["ts=\(now)", "level=\(event.level.rawValue)", "logger=\(quote(label))", "msg=\(quote(event.message.description))"]
        for key in metadata.keys.sorted() { parts.append("\(key)=\(quote(metadata[key]!.description))") }
        return Array(parts.joined(separator: " ").utf8)
    }
}
