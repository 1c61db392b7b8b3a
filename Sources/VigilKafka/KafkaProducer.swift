import CRdKafka
import Logging

/// An idempotent Kafka producer, confined to the thread that calls `send` and `poll`.
///
/// Delivery reports are collected during `poll`/`flush` and returned to the caller with the
/// opaque ticket given to `send`, so the caller can acknowledge exactly the work they belong to.
public final class KafkaProducer {
    /// Good defaults; an operator's config wins. Idempotence keeps retries from duplicating or
    /// reordering messages within a partition.
    public static let defaults: [String: String] = [
        "enable.idempotence": "true",
        "acks": "all",
        "linger.ms": "1",
        "message.timeout.ms": "30000"
    ]

    let handle: OpaquePointer
    private let context: KafkaClientContext
    private var closed = false
    public let logger: Logger

    public init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        self.logger = logger
        context = KafkaClientContext(logger: logger)
        let conf = try configuration.withDefaults(Self.defaults).makeNativeConf()
        context.install(on: conf)
        rd_kafka_conf_set_dr_msg_cb(conf, kafkaDeliveryCallback)
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw .configuration("cannot create producer: \(textFromBuffer(errstr))")
        }
        handle = rk
    }

    deinit {
        close(timeoutMs: 0)
    }

    /// Messages handed to librdkafka and not yet reported (in queue, in flight, or report pending).
    public var outstanding: Int { Int(rd_kafka_outq_len(handle)) }

    /// Enqueues `message`. When librdkafka's local queue is full this polls (collecting delivery
    /// reports for the next `poll`) until there is room or `queueFullTimeoutMs` passes.
    public func send(_ message: OutgoingMessage, opaque: UInt64, queueFullTimeoutMs: Int = 60_000) throws(KafkaError) {
        var waited = 0
        while true {
            let error = produceOnce(message, opaque: opaque)
            guard let error else { return }
            guard error.isQueueFull, waited < queueFullTimeoutMs else { throw error }
            rd_kafka_poll(handle, 10)
            waited += 10
        }
    }

    /// Serves delivery reports, waiting up to `timeoutMs` for the first, and returns them.
    public func poll(timeoutMs: Int32 = 0) -> [DeliveryReport] {
        rd_kafka_poll(handle, timeoutMs)
        return drainReports()
    }

    /// Waits until every outstanding message is reported or `timeoutMs` passes; returns the reports.
    public func flush(timeoutMs: Int32) -> [DeliveryReport] {
        _ = rd_kafka_flush(handle, timeoutMs)
        return drainReports()
    }

    /// The producer's fatal error, if librdkafka has raised one (the instance is then unusable).
    public func fatalError() -> KafkaError? {
        var errstr = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(handle, &errstr, errstr.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError(code: code, message: textFromBuffer(errstr), isFatal: true)
    }

    /// Flushes for up to `timeoutMs` and frees the client; unreported messages are logged.
    public func close(timeoutMs: Int32) {
        guard !closed else { return }
        closed = true
        _ = rd_kafka_flush(handle, timeoutMs)
        let left = outstanding
        if left > 0 {
            logger.warning("producer closed with undelivered messages", metadata: ["kafka.outstanding": "\(left)"])
        }
        rd_kafka_destroy(handle)
    }

    private func drainReports() -> [DeliveryReport] {
        guard !context.deliveryReports.isEmpty else { return [] }
        defer { context.deliveryReports.removeAll(keepingCapacity: true) }
        return context.deliveryReports
    }

    /// One `rd_kafka_produceva` call. Headers are built as a native list whose ownership passes to
    /// librdkafka only on success; the returned error object is always destroyed.
    private func produceOnce(_ message: OutgoingMessage, opaque: UInt64) -> KafkaError? {
        var headers: OpaquePointer?
        if !message.headers.isEmpty {
            headers = rd_kafka_headers_new(message.headers.count)
            for header in message.headers {
                if let value = header.value {
                    value.withUnsafeBytes { _ = rd_kafka_header_add(headers, header.name, -1, $0.baseAddress, $0.count) }
                } else {
                    _ = rd_kafka_header_add(headers, header.name, -1, nil, 0)
                }
            }
        }
        let error: OpaquePointer? = message.topic.withCString { topic in
            withOptionalBytes(message.key) { key in
                withOptionalBytes(message.value) { value in
                    var vus = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 8)
                    var n = 0
                    func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                        vus[n].vtype = type
                        fill(&vus[n])
                        n += 1
                    }
                    add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topic }
                    add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = message.partition ?? -1 }
                    add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                    add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(opaque)) }
                    if let key {
                        add(RD_KAFKA_VTYPE_KEY) {
                            $0.u.mem = .init(ptr: UnsafeMutableRawPointer(mutating: key.baseAddress), size: key.count)
                        }
                    }
                    if let value {
                        add(RD_KAFKA_VTYPE_VALUE) {
                            $0.u.mem = .init(ptr: UnsafeMutableRawPointer(mutating: value.baseAddress), size: value.count)
                        }
                    }
                    if let timestamp = message.timestamp { add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = timestamp } }
                    if let headers { add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headers } }
                    return vus.withUnsafeMutableBufferPointer { rd_kafka_produceva(handle, $0.baseAddress, n) }
                }
            }
        }
        guard let error else { return nil }
        if let headers { rd_kafka_headers_destroy(headers) }
        return KafkaError(consuming: error)
    }
}

/// Calls `body` with the bytes of `array` (a non-nil pointer even for an empty array), or nil.
private func withOptionalBytes<R>(_ array: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let array else { return body(nil) }
    if array.isEmpty {
        return withUnsafeBytes(of: UInt8(0)) { body(UnsafeRawBufferPointer(start: $0.baseAddress, count: 0)) }
    }
    return array.withUnsafeBytes { body($0) }
}

private func kafkaDeliveryCallback(
    _ rk: OpaquePointer?, _ message: UnsafePointer<rd_kafka_message_t>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard let message, let context = KafkaClientContext.from(opaque) else { return }
    let m = message.pointee
    let error =
        m.err == RD_KAFKA_RESP_ERR_NO_ERROR
        ? nil
        : KafkaError(code: m.err, message: String(cString: rd_kafka_err2str(m.err)))
    context.deliveryReports.append(
        DeliveryReport(
            topic: String(cString: rd_kafka_topic_name(m.rkt)), partition: m.partition, offset: m.offset,
            opaque: UInt64(UInt(bitPattern: m._private)), error: error))
}
