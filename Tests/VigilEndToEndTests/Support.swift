import Foundation
import Logging
import Testing
import VigilKafka

enum E2E {
    static var bootstrap: String {
        get throws {
            guard let value = ProcessInfo.processInfo.environment["VIGIL_TEST_BOOTSTRAP"], !value.isEmpty else {
                Issue.record("VIGIL_TEST_BOOTSTRAP is not set: run the tests with tools/test.sh, which starts the broker")
                throw CancellationError()
            }
            return value
        }
    }

    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The `vigil` executable under test (tools/test.sh exports VIGIL_BINARY).
    static var binary: String {
        ProcessInfo.processInfo.environment["VIGIL_BINARY"] ?? repoRoot.appendingPathComponent(".build/debug/vigil").path
    }

    static let logger = Logger(label: "e2e", factory: { _ in SwiftLogNoOpLogHandler() })

    static func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    static func writeConfig(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-\(UUID().uuidString).toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func producer(_ bootstrap: String) throws -> KafkaProducer {
        try KafkaProducer(configuration: KafkaConfiguration(["bootstrap.servers": bootstrap]), logger: logger)
    }

    static func produce(_ producer: KafkaProducer, topic: String, values: [[UInt8]?]) throws {
        for (i, v) in values.enumerated() {
            try producer.send(OutgoingMessage(topic: topic, partition: 0, key: Array("k\(i)".utf8), value: v), opaque: UInt64(i + 1))
        }
        var reports: [DeliveryReport] = []
        let deadline = Date().addingTimeInterval(30)
        while reports.count < values.count && Date() < deadline { reports += producer.poll(timeoutMs: 100) }
        #expect(reports.count == values.count && reports.allSatisfy { $0.error == nil })
    }

    static func readAll(_ bootstrap: String, topic: String, atLeast count: Int, timeout: TimeInterval = 30) throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration(["bootstrap.servers": bootstrap, "group.id": unique("reader")]), logger: logger)
        defer { consumer.close() }
        try consumer.subscribe([topic])
        var out: [KafkaMessage] = []
        let deadline = Date().addingTimeInterval(timeout)
        while out.count < count && Date() < deadline { consumer.poll(timeoutMs: 100) { out.append(KafkaMessage($0)) } }
        // Linger briefly: more than expected would be a bug the caller should see.
        let extra = Date().addingTimeInterval(1)
        while Date() < extra { consumer.poll(timeoutMs: 100) { out.append(KafkaMessage($0)) } }
        return out
    }

    /// The group's committed offset of partition 0 of `topic` (-1001 when none).
    static func committed(_ bootstrap: String, group: String, topic: String) throws -> Int64 {
        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration(["bootstrap.servers": bootstrap, "group.id": group]), logger: logger)
        defer { consumer.close() }
        let tp = TopicPartition(topic, 0)
        return try consumer.committed([tp])[tp] ?? KafkaOffset.invalid
    }

    static func waitUntil(timeout: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return try condition()
    }

    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let len = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } } == 0
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// A child process whose stdout lines are collected as they arrive.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let lines = Locked<[String]>([])
    private let stderrText = Locked<String>("")

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let pending = Locked<Data>(Data())
        out.fileHandleForReading.readabilityHandler = { [lines] handle in
            let chunk = handle.availableData
            guard !chunk.isEmpty else { return }
            pending.withLock { buffer in
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer = Data(buffer[(newline + 1)...])
                    lines.withLock { $0.append(line) }
                }
            }
        }
        err.fileHandleForReading.readabilityHandler = { [stderrText] handle in
            let chunk = handle.availableData
            guard !chunk.isEmpty else { return }
            stderrText.withLock { $0 += String(decoding: chunk, as: UTF8.self) }
        }
        try process.run()
    }

    var output: [String] { lines.withLock { $0 } }
    var errorOutput: String { stderrText.withLock { $0 } }

    func waitForLine(timeout: TimeInterval, _ predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = output.first(where: predicate) { return line }
            if !process.isRunning { return output.first(where: predicate) }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return nil
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Sends SIGTERM and waits; returns the exit status (nil if it had to be killed).
    @discardableResult
    func terminate(timeout: TimeInterval = 30) -> Int32? {
        if process.isRunning { signal(SIGTERM) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning {
            signal(SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.2)  // let the pipe handlers drain
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// A value behind a lock, shareable with pipe handlers.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// Parses one JSON line into a dictionary (nil when it is not a JSON object).
func jsonObject(_ line: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
}

func jsonObject(_ bytes: [UInt8]?) -> [String: Any]? {
    guard let bytes else { return nil }
    return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
}
