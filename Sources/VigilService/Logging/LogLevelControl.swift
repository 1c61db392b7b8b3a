import Logging
import Synchronization

/// The process-wide log level, changeable at run time (SIGHUP reload) without re-bootstrapping
/// swift-log: every `StructuredLogHandler` reads it on each log call (one atomic load).
final class LogLevelControl: Sendable {
    static let shared = LogLevelControl(.info)

    private let raw: Atomic<UInt8>

    init(_ level: Logger.Level) { raw = Atomic(Self.index(level)) }

    var level: Logger.Level {
        get { Logger.Level.allCases[Int(raw.load(ordering: .relaxed))] }
        set { raw.store(Self.index(newValue), ordering: .relaxed) }
    }

    private static func index(_ level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level) ?? 2)
    }
}
