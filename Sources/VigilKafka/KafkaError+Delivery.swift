import CRdKafka

/// What a failed produce or delivery means for the message, so that nothing is retried forever.
public enum DeliveryFailureClass: String, Sendable, Equatable {
    /// The cluster may accept it later (timeouts, leader moves, brokers down): send again with
    /// back-off, for a bounded time.
    case retriable
    /// This message will never be accepted (too large, invalid, its topic unknown or forbidden):
    /// sending it again cannot help; route it aside and go on.
    case perMessage
    /// The broker no longer accepts this producer instance's identity: a new instance can succeed.
    case replaceProducer
    /// No message can be delivered with this configuration (cluster authorisation, credentials):
    /// stop the daemon with the cause.
    case fatal
}

extension KafkaError {
    /// A KafkaError from a librdkafka code number, for tests and for codes read from reports.
    public init(rawCode: Int32, message: String? = nil, isFatal: Bool = false) {
        self.init(code: rd_kafka_resp_err_t(rawValue: rawCode), message: message, isFatal: isFatal)
    }

    /// Classifies a produce-time error or a delivery-report error (see `DeliveryFailureClass`).
    public var deliveryClass: DeliveryFailureClass {
        if Self.fatalCodes.contains(self.code) { return .fatal }
        if invalidatesProducer { return .replaceProducer }
        if Self.perMessageCodes.contains(self.code) { return .perMessage }
        return .retriable
    }

    private static let perMessageCodes: Set<Int32> = Set(
        [
            RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_MSG, RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE,
            RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP, RD_KAFKA_RESP_ERR_INVALID_RECORD,
            RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, RD_KAFKA_RESP_ERR_POLICY_VIOLATION,
            RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, RD_KAFKA_RESP_ERR__INVALID_ARG,
            RD_KAFKA_RESP_ERR__BAD_MSG, RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS
        ].map(\.rawValue))

    private static let fatalCodes: Set<Int32> = Set(
        [
            RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED,
            RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR__SSL, RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        ].map(\.rawValue))
}
