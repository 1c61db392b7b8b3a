import CRdKafka

/// An error from librdkafka or from this layer, carrying librdkafka's code and text so an operator
/// can look it up in librdkafka's documentation.
public struct KafkaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// librdkafka's `rd_kafka_resp_err_t` value (negative: client-side, positive: broker).
    public let code: Int32
    /// librdkafka's name for the code, e.g. `_QUEUE_FULL` or `UNKNOWN_TOPIC_OR_PART`.
    public let name: String
    /// Human-readable text: librdkafka's message, possibly with context added by Vigil.
    public let message: String
    /// True when librdkafka reports the client instance as unusable (e.g. idempotence violated).
    public let isFatal: Bool
    public let file: String
    public let line: Int

    public var description: String {
        "KafkaError(\(name) [\(code)]\(isFatal ? ", fatal" : ""): \(message))"
    }

    public static func == (lhs: KafkaError, rhs: KafkaError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.isFatal == rhs.isFatal
    }

    init(
        code: rd_kafka_resp_err_t, message: String? = nil, isFatal: Bool = false,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code.rawValue
        self.name = String(cString: rd_kafka_err2name(code))
        self.message = message ?? String(cString: rd_kafka_err2str(code))
        self.isFatal = isFatal
        self.file = file
        self.line = line
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    init(consuming error: OpaquePointer, file: String = #fileID, line: Int = #line) {
        defer { rd_kafka_error_destroy(error) }
        self.init(
            code: rd_kafka_error_code(error),
            message: String(cString: rd_kafka_error_string(error)),
            isFatal: rd_kafka_error_is_fatal(error) != 0, file: file, line: line)
    }

    /// A configuration problem detected before librdkafka was involved, or reported by it.
    static func configuration(_ message: String, file: String = #fileID, line: Int = #line) -> KafkaError {
        KafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG, message: message, file: file, line: line)
    }

    /// Wraps a non-zero response code; returns nil for `NO_ERROR`.
    static func check(
        _ code: rd_kafka_resp_err_t, _ context: String,
        file: String = #fileID, line: Int = #line
    ) throws(KafkaError) {
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        throw KafkaError(
            code: code, message: "\(context): \(String(cString: rd_kafka_err2str(code)))",
            file: file, line: line)
    }

    /// True for the transient "local queue full" condition, which a caller resolves by polling.
    public var isQueueFull: Bool { code == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue }

    /// True when the broker no longer accepts this producer instance's identity (fenced, epoch or
    /// sequence lost, typically after requests timed out during a broker stall): retrying on the
    /// same instance fails forever; a new producer instance gets a new identity and succeeds.
    public var invalidatesProducer: Bool {
        [
            RD_KAFKA_RESP_ERR_PRODUCER_FENCED, RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID,
            RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, RD_KAFKA_RESP_ERR_INVALID_PRODUCER_ID_MAPPING
        ]
        .contains { $0.rawValue == code } || isFatal
    }
}

/// Text from a NUL-terminated `errstr` buffer that librdkafka filled.
func textFromBuffer(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
