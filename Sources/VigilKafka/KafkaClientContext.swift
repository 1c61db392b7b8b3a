import CRdKafka
import Logging
import Synchronization

/// State that librdkafka's C callbacks reach through the client's opaque pointer.
///
/// The log callback may run on librdkafka's internal threads and touches only `logger`;
/// delivery-report and rebalance callbacks run inside `poll` on the owning thread.
final class KafkaClientContext: @unchecked Sendable {
    let logger: Logger
    /// Filled by the delivery-report callback during `KafkaProducer.poll`, drained right after.
    var deliveryReports: [DeliveryReport] = []
    /// Set by the consumer; called inside `rd_kafka_consume_batch_queue` on the polling thread.
    var rebalance: ((OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void)?

    /// Repeats of one kind of librdkafka message are logged at most once per interval: a broker
    /// that is down makes every client log a failed connect several times a second.
    let repeats = Mutex(RepeatFilter(interval: .seconds(10)))
    /// Written by the error callback (any librdkafka thread) and the polling thread.
    let brokerHealth = Mutex(BrokerHealth())
    /// The consumer group's state from the latest statistics (the statistics callback).
    let groupStatistics = Mutex<ConsumerGroupStatistics?>(nil)

    init(logger: Logger) {
        self.logger = logger
    }

    /// Wires the callbacks every Vigil client uses (logging, errors) into `conf`.
    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_log_cb(conf, kafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, kafkaErrorCallback)
    }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> KafkaClientContext? {
        guard let opaque else { return nil }
        return Unmanaged<KafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

private func kafkaLogCallback(
    _ rk: OpaquePointer?, _ level: Int32, _ facility: UnsafePointer<CChar>?,
    _ buffer: UnsafePointer<CChar>?
) {
    guard let rk, let context = KafkaClientContext.from(rd_kafka_opaque(rk)) else { return }
    // syslog levels: 0 emerg … 7 debug
    let swiftLevel: Logger.Level =
        switch level {
        case ...3: .error
        case 4: .warning
        case 5, 6: .info
        default: .debug
        }
    let text = buffer.map { String(cString: $0) } ?? ""
    let fac = facility.map { String(cString: $0) } ?? ""
    // Debug lines (level 7) come only when the operator set librdkafka's `debug` to trace
    // something: every one of them is wanted, so only the other levels are rate-limited.
    guard let suppressed = level >= 7 ? 0 : context.repeats.withLock({ $0.admit("log:\(fac):\(level)") }) else { return }
    var metadata: Logger.Metadata = ["kafka.facility": "\(fac)"]
    if suppressed > 0 { metadata["kafka.repeats_suppressed"] = "\(suppressed)" }
    context.logger.log(level: swiftLevel, "\(text)", metadata: metadata)
}

/// librdkafka's statistics (a consumer's, every `statistics.interval.ms`): keeps the group's state.
/// Returns 0, so librdkafka frees the JSON.
func kafkaStatisticsCallback(
    _ rk: OpaquePointer?, _ json: UnsafeMutablePointer<CChar>?, _ length: Int, _ opaque: UnsafeMutableRawPointer?
) -> Int32 {
    guard let json, let context = KafkaClientContext.from(opaque) else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: json, count: length)
    if let group = ConsumerGroupStatistics(statisticsJSON: bytes) {
        context.groupStatistics.withLock { $0 = group }
    }
    return 0
}

private func kafkaErrorCallback(
    _ rk: OpaquePointer?, _ err: Int32, _ reason: UnsafePointer<CChar>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard let context = KafkaClientContext.from(opaque) else { return }
    let code = rd_kafka_resp_err_t(err)
    let error = KafkaError(code: code, message: reason.map { String(cString: $0) })
    // Transport errors are retried by librdkafka itself; they matter to readiness, not to data.
    if code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || code == RD_KAFKA_RESP_ERR__AUTHENTICATION || code == RD_KAFKA_RESP_ERR__SSL {
        context.brokerHealth.withLock { $0 = BrokerHealth(reachable: false, reason: "\(error.name): \(error.message)") }
    }
    guard let suppressed = context.repeats.withLock({ $0.admit("error:\(err)") }) else { return }
    var metadata: Logger.Metadata = ["kafka.error.code": "\(error.name)", "kafka.error.message": "\(error.message)"]
    if suppressed > 0 { metadata["kafka.repeats_suppressed"] = "\(suppressed)" }
    context.logger.warning("librdkafka reported an error", metadata: metadata)
}

/// Admits the first message of a kind, then at most one per interval, counting what it held back.
struct RepeatFilter {
    let interval: Duration
    private var last: [String: (at: ContinuousClock.Instant, suppressed: Int)] = [:]

    init(interval: Duration) { self.interval = interval }

    /// The number suppressed since the last admitted one, or nil to drop this one.
    mutating func admit(_ kind: String, now: ContinuousClock.Instant = .now) -> Int? {
        if let entry = last[kind], now - entry.at < interval {
            last[kind] = (entry.at, entry.suppressed + 1)
            return nil
        }
        let suppressed = last[kind]?.suppressed ?? 0
        if last.count > 256 { last.removeAll() }
        last[kind] = (now, 0)
        return suppressed
    }
}

extension KafkaClientContext {
    /// Data flowed or the group answered: the cluster is reachable again.
    func markBrokersReachable() {
        brokerHealth.withLock { if !$0.reachable { $0 = BrokerHealth() } }
    }
}
