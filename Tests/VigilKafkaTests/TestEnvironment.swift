import Foundation
import Logging
import Testing
import VigilKafka

/// Where the real broker is: `tools/test.sh` starts one and exports VIGIL_TEST_BOOTSTRAP.
enum TestEnvironment {
    static var bootstrap: String {
        get throws {
            guard let value = ProcessInfo.processInfo.environment["VIGIL_TEST_BOOTSTRAP"], !value.isEmpty else {
                Issue.record("VIGIL_TEST_BOOTSTRAP is not set: run the tests with tools/test.sh, which starts the broker")
                throw CancellationError()
            }
            return value
        }
    }

    static let logger: Logger = {
        var logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        return logger
    }()

    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    static func admin() throws -> KafkaAdmin {
        try KafkaAdmin(configuration: KafkaConfiguration(["bootstrap.servers": try bootstrap]), logger: logger)
    }

    static func producer(_ extra: [String: String] = [:]) throws -> KafkaProducer {
        var props = ["bootstrap.servers": try bootstrap]
        props.merge(extra) { $1 }
        return try KafkaProducer(configuration: KafkaConfiguration(props), logger: logger)
    }

    static func consumer(group: String, _ extra: [String: String] = [:]) throws -> KafkaConsumer {
        var props = ["bootstrap.servers": try bootstrap, "group.id": group]
        props.merge(extra) { $1 }
        return try KafkaConsumer(configuration: KafkaConfiguration(props), logger: logger)
    }

    /// Sends and waits for every delivery report; fails the test on any delivery error.
    static func produceAll(_ producer: KafkaProducer, _ messages: [OutgoingMessage]) throws -> [DeliveryReport] {
        for (i, m) in messages.enumerated() { try producer.send(m, opaque: UInt64(i + 1)) }
        var reports: [DeliveryReport] = []
        let deadline = Date().addingTimeInterval(30)
        while reports.count < messages.count && Date() < deadline {
            reports += producer.poll(timeoutMs: 100)
        }
        #expect(reports.count == messages.count, "all deliveries reported")
        for r in reports { #expect(r.error == nil, "delivery of \(r.opaque): \(String(describing: r.error))") }
        return reports
    }

    /// Reads `topic` from the beginning with a fresh group until `count` messages or `timeout`.
    static func readAll(_ topic: String, atLeast count: Int, timeout: TimeInterval = 30) throws -> [KafkaMessage] {
        let consumer = try consumer(group: uniqueName("reader"))
        defer { consumer.close() }
        try consumer.subscribe([topic])
        var out: [KafkaMessage] = []
        let deadline = Date().addingTimeInterval(timeout)
        while out.count < count && Date() < deadline {
            consumer.poll(timeoutMs: 100) { out.append(KafkaMessage($0)) }
        }
        return out
    }
}
