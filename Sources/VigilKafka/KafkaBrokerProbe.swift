import CRdKafka
import Logging

/// Asks the cluster for metadata through an existing producer's connections, to tell whether the
/// brokers answer at all.
///
/// librdkafka notices a silent broker (a stopped process, a dropped network) only when a request
/// times out, which for an idle consumer can take a minute; readiness needs to know within
/// seconds. `rd_kafka_metadata` is thread-safe, so a health thread may call `check` while the
/// pipeline thread works; the probe has a client instance of its own (it sends no messages), so
/// it stays valid whatever the pipeline does with its producer.
public final class KafkaBrokerProbe: @unchecked Sendable {
    private let producer: KafkaProducer

    public init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        producer = try KafkaProducer(configuration: configuration, logger: logger)
    }

    /// Nil when a broker answered a metadata request within `timeoutMs`, else why not.
    public func check(timeoutMs: Int32) -> KafkaError? {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(producer.handle, 0, nil, &metadata, timeoutMs)
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            return KafkaError(
                code: err,
                message: "no broker answered a metadata request within \(timeoutMs) ms: \(String(cString: rd_kafka_err2str(err)))")
        }
        return nil
    }
}
