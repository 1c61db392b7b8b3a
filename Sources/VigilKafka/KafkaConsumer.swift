import CRdKafka
import Logging

/// A Kafka group consumer over librdkafka, confined to the one thread that calls `poll`.
///
/// Offsets are stored manually (`storeOffsets`) and committed by librdkafka's auto-commit timer or
/// by `commit()`: the application decides when a message is done, which is what at-least-once needs.
public final class KafkaConsumer {
    /// Settings Vigil needs for correctness; an operator's config cannot override them.
    public static let enforced: [String: String] = [
        "enable.auto.offset.store": "false"
    ]
    /// Settings that are good defaults; an operator's config wins.
    public static let defaults: [String: String] = [
        "enable.auto.commit": "true",
        "auto.commit.interval.ms": "1000",
        "auto.offset.reset": "earliest",
        "enable.partition.eof": "false",
        "session.timeout.ms": "6000",
        "heartbeat.interval.ms": "1000",
        "partition.assignment.strategy": "cooperative-sticky",
        // How long the broker may hold a fetch open waiting for data (librdkafka: 500 ms). Alerts
        // are for dispatchers: at 10k msg/s this took event->alert p50 from 247 to 39 ms on the
        // local broker; the cost is an idle consumer's ~100 fetch requests a second.
        "fetch.wait.max.ms": "10",
        // librdkafka prefetches up to 64 MB (and 100,000 messages a partition) by default: most of a
        // 4-partition daemon's memory (peak RSS 245 -> 194 MB on 723k messages, same throughput).
        // 16 MB is still seconds of work at Vigil's rate, so the engine never waits on an empty queue.
        "queued.max.messages.kbytes": "16384",
        "queued.min.messages": "20000",
        // The group's join state every 5 s (`groupStatistics`): a rebalance that never completes
        // is visible nowhere else. A few kilobytes of JSON per interval; 0 turns it off.
        "statistics.interval.ms": "5000"
    ]

    /// The prefetch bound of `defaults`, split among `partitions` when each partition has its own
    /// queue: librdkafka applies `queued.max.messages.kbytes` and `queued.min.messages` to each
    /// queue, and a partition queue detached from the consumer queue counts alone. Left at the
    /// consumer-wide values, 4 partitions prefetched 4 × 16 MB (peak RSS 188 -> 256-260 MB on
    /// the 2.17M stream); split, the whole prefetch stays what it is with one queue.
    public static func partitionQueueDefaults(partitions: Int) -> [String: String] {
        let n = max(1, partitions)
        return [
            "queued.max.messages.kbytes": String(max(1024, 16384 / n)),
            "queued.min.messages": String(max(1000, 20000 / n))
        ]
    }

    let handle: OpaquePointer
    private let queue: OpaquePointer
    let context: KafkaClientContext
    private var closed = false
    private var buffer: [UnsafeMutablePointer<rd_kafka_message_t>?]
    /// Messages in `buffer` handed out by the `poll` running now (0 outside it), for `keepBatch`.
    private var batchCount = 0
    /// Set by `keepBatch`: the running `poll` leaves its messages alive instead of destroying them.
    private var batchKept = false
    /// Whether batches are taken from each assigned partition's own queue (see `BatchShares`).
    public let partitionQueues: Bool
    /// The assigned partitions' queues, detached from the consumer queue, in partition order.
    private var partitionQueue: [(partition: TopicPartition, queue: OpaquePointer)] = []
    /// The longest wait on the consumer queue while partitions' queues are read: messages arriving
    /// on those queues do not wake that wait, so it is kept short (latency, not CPU, is the cost).
    static let partitionQueueWaitMs: Int32 = 5
    public let logger: Logger
    /// Receives partition moves; held weakly because the listener usually owns the consumer.
    public weak var rebalanceListener: KafkaRebalanceListener?

    /// `partitionQueues`: take each poll's batch from the assigned partitions' own queues in fair
    /// shares (`BatchShares`) instead of librdkafka's one consumer queue, so that a batch holds
    /// every partition with records waiting (the engines of a batch run in parallel);
    /// `expectedPartitions` then splits the prefetch bound (`partitionQueueDefaults`).
    public init(
        configuration: KafkaConfiguration, logger: Logger, maxBatch: Int = 1000, partitionQueues: Bool = false,
        expectedPartitions: Int = 4
    ) throws(KafkaError) {
        guard configuration["group.id"] != nil else {
            throw .configuration("a group consumer needs 'group.id'")
        }
        self.logger = logger
        self.partitionQueues = partitionQueues
        context = KafkaClientContext(logger: logger)
        var defaults = Self.defaults
        if partitionQueues { defaults.merge(Self.partitionQueueDefaults(partitions: expectedPartitions)) { $1 } }
        var merged = configuration.withDefaults(defaults)
        for (key, value) in Self.enforced { merged[key] = value }
        // Lifts the per-partition fetch ceiling (default 1000 ms); unknown to librdkafka < 2.1.
        if !LibrdkafkaVersion.isBelowRecommended, merged["fetch.queue.backoff.ms"] == nil {
            merged["fetch.queue.backoff.ms"] = "10"
        }
        let conf = try merged.makeNativeConf()
        context.install(on: conf)
        rd_kafka_conf_set_rebalance_cb(conf, kafkaRebalanceCallback)
        rd_kafka_conf_set_stats_cb(conf, kafkaStatisticsCallback)
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw .configuration("cannot create consumer: \(textFromBuffer(errstr))")
        }
        handle = rk
        rd_kafka_poll_set_consumer(rk)
        queue = rd_kafka_queue_get_consumer(rk)
        buffer = Array(repeating: nil, count: max(1, maxBatch))
        // Weak, never unowned: librdkafka may call back while this object is being destroyed
        // (e.g. `rd_kafka_consumer_close` from `deinit` after an error left the loop), and reading
        // an unowned reference then aborts the process.
        context.rebalance = { [weak self] rk, err, partitions in
            guard let self else {
                // The owner is gone: hand the partitions back so librdkafka can finish leaving.
                releaseWithoutListener(rk, err, partitions)
                return
            }
            self.context.markBrokersReachable()
            self.handleRebalance(err: err, partitions: partitions)
        }
    }

    deinit {
        // No listener callbacks from a half-destroyed consumer: partitions are released without
        // them (their state dies with the process or with the pipeline that owned it).
        rebalanceListener = nil
        close()
    }

    /// The group's state from the latest statistics (`statistics.interval.ms`, served inside
    /// `poll`); nil until the first arrive, or when statistics are off.
    public var groupStatistics: ConsumerGroupStatistics? { context.groupStatistics.withLock { $0 } }

    /// Joins the group for `topics`; partitions arrive through the rebalance listener during `poll`.
    public func subscribe(_ topics: [String]) throws(KafkaError) {
        try TopicPartitionList.with(topics.map { TopicPartition($0, -1) }) { list throws(KafkaError) in
            try KafkaError.check(rd_kafka_subscribe(handle, list), "subscribe to \(topics)")
        }
    }

    /// Fetches up to the batch size of messages, waiting at most `timeoutMs` for the first one (never
    /// for the batch to fill), and
    /// calls `body` for each. Rebalance callbacks run inside this call. Consumer errors (e.g. an
    /// unknown topic) are returned, not thrown: they are conditions to report, not reasons to stop.
    @discardableResult
    public func poll(timeoutMs: Int32, _ body: (KafkaRecord) throws -> Void) rethrows -> [KafkaError] {
        try poll(timeoutMs: timeoutMs, body, afterRecords: {})
    }

    /// `poll`, and then `afterRecords` once after the last `body` of a non-empty batch, while the
    /// records handed to `body` are still valid: a caller that defers work on them finishes it there.
    @discardableResult
    public func poll(
        timeoutMs: Int32, _ body: (KafkaRecord) throws -> Void, afterRecords: () throws -> Void
    ) rethrows -> [KafkaError] {
        precondition(!closed, "poll after close")
        // rd_kafka_consume_batch_queue with a timeout waits for a *full* batch (or the timeout):
        // at 10k msg/s a 1000-message batch would add up to 100 ms to every event's latency. Take
        // what is ready now; only when nothing is, block for the first message, then take the rest.
        // The consumer queue first: it serves rebalances and errors, and with partition queues it
        // may still hold a partition's older messages (fetched before its queue was detached),
        // which must come before that partition's queue.
        var count = takeReady(from: queue, at: 0)
        if count < buffer.count { count += takeFromPartitionQueues(at: count) }
        if count <= 0, timeoutMs > 0 {
            let wait = partitionQueue.isEmpty ? timeoutMs : min(timeoutMs, Self.partitionQueueWaitMs)
            if let first = rd_kafka_consume_queue(queue, wait) {
                buffer[0] = first
                count = 1 + takeReady(from: queue, at: 1)
            }
            if count < buffer.count { count += takeFromPartitionQueues(at: count) }
        }
        guard count > 0 else { return [] }
        context.markBrokersReachable()
        var errors: [KafkaError] = []
        batchCount = count
        defer {
            if !batchKept { for i in 0..<count { rd_kafka_message_destroy(buffer[i]) } }
            batchKept = false
            batchCount = 0
        }
        for i in 0..<count {
            let message = buffer[i]!
            let m = message.pointee
            if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if m.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    errors.append(KafkaError(code: m.err, message: String(cString: rd_kafka_message_errstr(message))))
                }
                continue
            }
            var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let ts = rd_kafka_message_timestamp(message, &type)
            let record = KafkaRecord(
                topic: String(cString: rd_kafka_topic_name(m.rkt)),
                partition: m.partition, offset: m.offset,
                timestamp: type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : ts,
                key: m.key.map { UnsafeRawBufferPointer(start: $0, count: m.key_len) },
                value: m.payload.map { UnsafeRawBufferPointer(start: $0, count: m.len) },
                native: message)
            try body(record)
        }
        try afterRecords()
        return errors
    }

    /// Keeps the messages of the batch being handed out alive past its `poll`, so the records
    /// read from them stay valid until the returned value's `release`: a caller that finishes a
    /// batch's work during the next poll (the pipelined engines) keeps what that work still
    /// reads. Call only inside `afterRecords`, and release before `close`.
    public func keepBatch() -> KeptMessages {
        precondition(batchCount > 0 && !batchKept, "keepBatch outside afterRecords, or twice")
        batchKept = true
        return KeptMessages(buffer[0..<batchCount].map { $0! })
    }

    /// Moves what `queue` holds now (no wait) into `buffer` from `start`; the number taken.
    private func takeReady(from queue: OpaquePointer, at start: Int, limit: Int? = nil) -> Int {
        let room = min(buffer.count - start, limit ?? Int.max)
        guard room > 0 else { return 0 }
        let taken = buffer.withUnsafeMutableBufferPointer { buf in
            rd_kafka_consume_batch_queue(queue, 0, buf.baseAddress! + start, room)
        }
        return max(0, taken)
    }

    /// Fills `buffer` from `start` with the partitions' queues' records in fair shares.
    private func takeFromPartitionQueues(at start: Int) -> Int {
        guard !partitionQueue.isEmpty else { return 0 }
        let lengths = partitionQueue.map { Int(rd_kafka_queue_length($0.queue)) }
        let shares = BatchShares.split(room: buffer.count - start, lengths: lengths)
        var taken = 0
        for (i, share) in shares.enumerated() where share > 0 {
            taken += takeReady(from: partitionQueue[i].queue, at: start + taken, limit: share)
        }
        return taken
    }

    /// Detaches the queues of newly assigned `partitions` from the consumer queue and keeps them.
    ///
    /// librdkafka forwards a partition's fetch queue to the consumer queue when fetching starts,
    /// unless the application has set its forwarding: `rd_kafka_queue_forward(q, NULL)` marks it
    /// so, and its messages then wait in the partition's queue. A message forwarded before this
    /// stays in the consumer queue, which `poll` reads first, so each partition stays in order.
    private func attachPartitionQueues(_ partitions: [TopicPartition]) {
        guard partitionQueues else { return }
        for tp in partitions where !partitionQueue.contains(where: { $0.partition == tp }) {
            guard let q = rd_kafka_queue_get_partition(handle, tp.topic, tp.partition) else {
                logger.error(
                    "no queue for an assigned partition; its records are read from the consumer queue",
                    metadata: ["kafka.partition": "\(tp)"])
                continue
            }
            rd_kafka_queue_forward(q, nil)
            partitionQueue.append((tp, q))
        }
        partitionQueue.sort { $0.partition < $1.partition }
    }

    /// Lets go of the queues of revoked `partitions` (all of them when nil).
    private func detachPartitionQueues(_ partitions: [TopicPartition]?) {
        guard !partitionQueue.isEmpty else { return }
        let leaving = partitions.map(Set.init)
        partitionQueue.removeAll { entry in
            guard leaving?.contains(entry.partition) ?? true else { return false }
            rd_kafka_queue_destroy(entry.queue)
            return true
        }
    }

    /// Marks everything before `offset` (the next offset to read) as done for each partition.
    public func storeOffsets(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        try TopicPartitionList.with(offsets.map { ($0.key, $0.value) }) { list throws(KafkaError) in
            try KafkaError.check(rd_kafka_offsets_store(handle, list), "store offsets")
            for (tp, _, err) in TopicPartitionList.entries(list) where err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: err, message: "store offset for \(tp): \(String(cString: rd_kafka_err2str(err)))")
            }
        }
    }

    /// For each partition, the earliest offset whose message timestamp is at or after the given
    /// time (milliseconds since the epoch); `KafkaOffset.end` where no message is that recent.
    ///
    /// Brokers may answer with an earlier offset than asked (the local test broker answers the
    /// earliest whatever the time), so callers must still filter what they read by event time.
    public func offsetsForTimes(_ times: [TopicPartition: Int64], timeoutMs: Int32 = 10_000) throws(KafkaError) -> [TopicPartition: Int64] {
        guard !times.isEmpty else { return [:] }
        return try TopicPartitionList.with(times.map { ($0.key, $0.value) }) { list throws(KafkaError) in
            try KafkaError.check(rd_kafka_offsets_for_times(handle, list, timeoutMs), "look up offsets for times")
            var out: [TopicPartition: Int64] = [:]
            for (tp, offset, err) in TopicPartitionList.entries(list) {
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError(code: err, message: "offset for time on \(tp): \(String(cString: rd_kafka_err2str(err)))")
                }
                out[tp] = offset
            }
            return out
        }
    }

    /// Commits the stored offsets now and waits for the broker's answer.
    public func commit() throws(KafkaError) {
        let err = rd_kafka_commit(handle, nil, 0)
        if err == RD_KAFKA_RESP_ERR__NO_OFFSET { return }  // nothing new to commit
        try KafkaError.check(err, "commit")
    }

    /// The group's committed offsets for `partitions` (`KafkaOffset.invalid` when none).
    public func committed(_ partitions: [TopicPartition], timeoutMs: Int32 = 10_000) throws(KafkaError) -> [TopicPartition: Int64] {
        try TopicPartitionList.with(partitions) { list throws(KafkaError) in
            try KafkaError.check(rd_kafka_committed(handle, list, timeoutMs), "fetch committed offsets")
            return Dictionary(TopicPartitionList.entries(list).map { ($0.0, $0.1) }, uniquingKeysWith: { $1 })
        }
    }

    /// Moves the fetch position of assigned partitions.
    public func seek(_ offsets: [TopicPartition: Int64], timeoutMs: Int32 = 10_000) throws(KafkaError) {
        try TopicPartitionList.with(offsets.map { ($0.key, $0.value) }) { list throws(KafkaError) in
            if let error = rd_kafka_seek_partitions(handle, list, timeoutMs) { throw KafkaError(consuming: error) }
        }
    }

    /// Stops fetching from `partitions` (the group membership is kept alive by `poll`).
    public func pause(_ partitions: [TopicPartition]) throws(KafkaError) {
        try TopicPartitionList.with(partitions) { list throws(KafkaError) in
            try KafkaError.check(rd_kafka_pause_partitions(handle, list), "pause \(partitions)")
        }
    }

    public func resume(_ partitions: [TopicPartition]) throws(KafkaError) {
        try TopicPartitionList.with(partitions) { list throws(KafkaError) in
            try KafkaError.check(rd_kafka_resume_partitions(handle, list), "resume \(partitions)")
        }
    }

    /// Partitions currently assigned to this consumer.
    public func assignment() throws(KafkaError) -> [TopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        try KafkaError.check(rd_kafka_assignment(handle, &list), "read assignment")
        guard let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return TopicPartitionList.entries(list).map(\.0).sorted()
    }

    /// Leaves the group cleanly (revoking partitions through the listener) and frees the client.
    public func close() {
        guard !closed else { return }
        closed = true
        // Partition queue references go first (librdkafka requires it before closing).
        detachPartitionQueues(nil)
        let err = rd_kafka_consumer_close(handle)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("consumer close reported an error", metadata: ["kafka.error.code": "\(String(cString: rd_kafka_err2name(err)))"])
        }
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy(handle)
    }

    private func handleRebalance(err: rd_kafka_resp_err_t, partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        let moved = TopicPartitionList.entries(partitions).map(\.0)
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            let starts = rebalanceListener?.consumer(self, willAssign: moved) ?? [:]
            if !starts.isEmpty, let elements = partitions.pointee.elems {
                for i in 0..<Int(partitions.pointee.cnt) {
                    let tp = TopicPartition(String(cString: elements[i].topic), elements[i].partition)
                    if let start = starts[tp] { elements[i].offset = start }
                }
            }
            logger.info(
                "partitions assigned",
                metadata: ["kafka.partitions": "\(moved)", "kafka.protocol": "\(cooperative ? "cooperative" : "eager")"])
            if cooperative {
                if let error = rd_kafka_incremental_assign(handle, partitions) { reportRebalanceFailure(KafkaError(consuming: error)) }
            } else {
                let code = rd_kafka_assign(handle, partitions)
                if code != RD_KAFKA_RESP_ERR_NO_ERROR { reportRebalanceFailure(KafkaError(code: code)) }
            }
            attachPartitionQueues(moved)
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(handle) != 0
            rebalanceListener?.consumer(self, willRevoke: moved, lost: lost)
            logger.info("partitions revoked", metadata: ["kafka.partitions": "\(moved)", "kafka.lost": "\(lost)"])
            detachPartitionQueues(cooperative ? moved : nil)
            if cooperative {
                if let error = rd_kafka_incremental_unassign(handle, partitions) { reportRebalanceFailure(KafkaError(consuming: error)) }
            } else {
                let code = rd_kafka_assign(handle, nil)
                if code != RD_KAFKA_RESP_ERR_NO_ERROR { reportRebalanceFailure(KafkaError(code: code)) }
            }
        default:
            logger.error("rebalance failed", metadata: ["kafka.error.code": "\(String(cString: rd_kafka_err2name(err)))"])
            detachPartitionQueues(nil)
            _ = rd_kafka_assign(handle, nil)
        }
    }

    private func reportRebalanceFailure(_ error: KafkaError) {
        logger.error("applying a rebalance failed", metadata: ["kafka.error": "\(error)"])
    }
}

/// Applies a rebalance with no one to tell (the consumer is being destroyed), in the group's protocol.
private func releaseWithoutListener(
    _ rk: OpaquePointer, _ err: rd_kafka_resp_err_t,
    _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
) {
    let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
    let assigning = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS
    if cooperative {
        let error = assigning ? rd_kafka_incremental_assign(rk, partitions) : rd_kafka_incremental_unassign(rk, partitions)
        if let error { rd_kafka_error_destroy(error) }
    } else {
        _ = rd_kafka_assign(rk, assigning ? partitions : nil)
    }
}

private func kafkaRebalanceCallback(
    _ rk: OpaquePointer?, _ err: rd_kafka_resp_err_t,
    _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard let rk, let partitions, let context = KafkaClientContext.from(opaque), let handler = context.rebalance else { return }
    handler(rk, err, partitions)
}
