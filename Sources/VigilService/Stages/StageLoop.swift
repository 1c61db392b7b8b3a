import Foundation
import Logging
import VigilCore
import VigilKafka

/// Runs one `StageWork` over its input topic in a consumer group of its own: at-least-once (an
/// input offset is stored only once every message it caused is acknowledged, `OffsetAckTracker`),
/// and state rebuilt by re-reading each assigned partition from its start, silently up to the
/// group's committed offset (`StageWork`). librdkafka retries a stage's deliveries without a time
/// limit (`ScaleOutStages.stageProducerProperties`: a broker stall is waited out, in order); a
/// delivery it fails all the same (a per-message or fatal error) stops the stage with the cause: a
/// restart re-reads from the last commit, so nothing is lost, and nothing is skipped to keep going. A committed offset beyond
/// the log's end stops the stage too (`RebuildPlan`): the rebuild would never go live.
///
/// Confined to the thread that calls `run`; rebalance callbacks run inside its polls.
final class StageLoop<Work: StageWork>: KafkaRebalanceListener {
    let name: String
    /// The consumer group (`<group_id>.<stage>`), named in failures that ask for its offsets to be reset.
    let group: String
    let topic: String
    private(set) var work: Work
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let logger: Logger
    private let output: LogOutput
    private let stop: StopSignal
    /// Where counters go for `/metrics`, and the page's alert feed (`/events`); nil in tests.
    private let board: StageBoard?
    private let feed: AlertFeed?
    private var tracker = OffsetAckTracker()
    /// Per partition being rebuilt, the committed offset: records before it are applied silently.
    private var rebuildUntil: [TopicPartition: Int64] = [:]
    /// Per partition fetched from its committed offset C - 1 because the high watermark said C is
    /// beyond the log end: C and that end, until the first record confirms or refutes it.
    private var verifying: [TopicPartition: (committed: Int64, end: Int64)] = [:]
    /// Partitions sought back to their start in this poll batch: the rest of the batch was fetched before.
    private var seekPending: Set<TopicPartition> = []
    /// Partitions assigned to this loop now.
    private var owned: Set<TopicPartition> = []
    /// The poll batch's first live record (one input partition per stage that owes at batch end: the router).
    private var firstLive: (tp: TopicPartition, offset: Int64)?
    private(set) var statistics = Statistics()
    /// Tests only: the log's watermarks as a broker that misreports them would answer (nil: ask the broker).
    var watermarksForTesting: (@Sendable (TopicPartition) -> (low: Int64, high: Int64))?
    private var lastProgress = ContinuousClock.now
    /// The consumer group's membership, from the consumer's statistics (a rebalance that never
    /// completes leaves the stage polling with part of its work unowned).
    private var settlement = GroupSettlement()
    private var malformedLogged = 0
    /// The wall clock, read once per poll: only for alerts' detection times.
    private var now = Timestamp(milliseconds: 0)

    struct Statistics: Sendable {
        var live = 0
        var rebuilt = 0
        var sent = 0
        /// Alerts published, in `Alert.Kind.allCases` order (`vigil_alerts_total`).
        var alertsByKind = [Int](repeating: 0, count: Alert.Kind.allCases.count)

        /// Counts what a live record's output published (a rebuilt record's output is dropped, not counted).
        mutating func countPublished(_ out: StageOutput) {
            for alert in out.alerts {
                if let index = Alert.Kind.allCases.firstIndex(of: alert.kind) { alertsByKind[index] += 1 }
            }
        }
    }

    init(
        name: String, group: String, topic: String, work: Work, consumer: KafkaConsumer, producer: KafkaProducer, logger: Logger,
        output: LogOutput, stop: StopSignal, board: StageBoard? = nil, feed: AlertFeed? = nil
    ) {
        self.board = board
        self.feed = feed
        self.name = name
        self.group = group
        self.topic = topic
        self.work = work
        self.consumer = consumer
        self.producer = producer
        self.logger = logger
        self.output = output
        self.stop = stop
        consumer.rebalanceListener = self
    }

    /// Runs until a stop is requested, then drains, commits and leaves the group; throws (after
    /// closing the clients) when a delivery fails for good or the consumer cannot go on.
    func run() throws {
        do {
            try consumer.subscribe([topic])
            logger.info("stage consuming", metadata: ["stage": "\(name)", "kafka.topic": "\(topic)"])
            while !stop.isRequested { try step(timeoutMs: tracker.pendingOutputs > 0 ? 1 : 100) }
        } catch {
            logger.critical(
                "stage stopped on a fatal error; unacknowledged inputs stay uncommitted and are read again",
                metadata: ["stage": "\(name)", "error": "\(error)"])
            consumer.close()
            producer.close(timeoutMs: 2000)
            throw error
        }
        shutdown()
    }

    /// One poll, its deliveries and its offsets.
    func step(timeoutMs: Int32) throws {
        firstLive = nil
        now = Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        let errors = try consumer.poll(timeoutMs: timeoutMs) { record in
            try handle(record)
        } afterRecords: {
            seekPending.removeAll()  // a seek ordered in this batch has taken effect
            // Counted against the batch's first live record: none of the batch is committed
            // before what the batch owes is acknowledged (a router's frames hold all of it).
            guard let first = firstLive else { return }
            for message in work.batchEnded() { try send(message, for: first.tp, offset: first.offset) }
        }
        for error in errors { logger.warning("consumer error", metadata: ["stage": "\(name)", "kafka.error": "\(error)"]) }
        try settle(producer.poll(timeoutMs: 0))
        try consumer.storeOffsets(tracker.committableOffsets())
        if let fatal = producer.fatalError() { throw fatal }
        if work.malformed > malformedLogged {
            logger.error(
                "stage dropped internal messages it cannot use (unreadable ones are on the dead-letter topic with the reason; findings that contradict the layout mean scale_out.tile_cells or partitions changed under a running city: give the layout new topics)",
                metadata: ["stage": "\(name)", "malformed": "\(work.malformed)", "new": "\(work.malformed - malformedLogged)"])
            malformedLogged = work.malformed
        }
        let clock = ContinuousClock.now
        settlement.observe(consumer.groupStatistics, at: clock)
        board?.update(
            name,
            .init(
                live: statistics.live, rebuilt: statistics.rebuilt, sent: statistics.sent, malformed: work.malformed,
                partitions: owned.count, rebuilding: rebuildUntil.count + verifying.count, alerts: statistics.alertsByKind,
                unsettledSeconds: Int(settlement.unsettled(at: clock).components.seconds), joinState: settlement.joinState))
        if ContinuousClock.now - lastProgress >= .seconds(30) {
            lastProgress = .now
            logger.info(
                "stage progress",
                metadata: [
                    "stage": "\(name)", "records.live": "\(statistics.live)", "records.rebuilt": "\(statistics.rebuilt)",
                    "messages.sent": "\(statistics.sent)", "messages.pending": "\(tracker.pendingOutputs)",
                    "partitions": "\(owned.count)", "partitions.rebuilding": "\(rebuildUntil.count + verifying.count)",
                    "malformed": "\(work.malformed)"
                ])
        }
    }

    private func handle(_ record: KafkaRecord) throws {
        let tp = record.topicPartition
        if seekPending.contains(tp) { return }  // fetched before the seek to the start: read again
        if let check = verifying.removeValue(forKey: tp) {
            try verify(tp, check, firstOffset: record.offset)
            return
        }
        if let until = rebuildUntil[tp] {
            if record.offset < until {
                statistics.rebuilt += 1
                _ = work.apply(KafkaMessage(record), live: false, now: now)
                return
            }
            rebuildUntil[tp] = nil
            logger.info("stage partition rebuilt", metadata: ["stage": "\(name)", "kafka.partition": "\(tp)", "kafka.offset": "\(until)"])
        }
        guard tracker.beginInputIfAhead(tp, offset: record.offset) else { return }  // fetched again: done already
        statistics.live += 1
        let out = work.apply(KafkaMessage(record), live: true, now: now)
        for alert in out.alerts {
            output.write(alert.json, priority: alert.high ? 4 : 5)
            feed?.append(alert.json)
        }
        statistics.countPublished(out)
        for message in out.messages { try send(message, for: tp, offset: record.offset) }
        if firstLive == nil { firstLive = (tp, record.offset) }
    }

    /// The first record of a partition fetched from C - 1 because its high watermark said C is
    /// beyond the end: stop if it confirms that, else rebuild from the start as usual.
    private func verify(_ tp: TopicPartition, _ check: (committed: Int64, end: Int64), firstOffset: Int64) throws {
        guard !RebuildPlan.confirmsBeyondEnd(committed: check.committed, firstOffset: firstOffset) else {
            throw RebuildPlan.beyondEndFailure(
                stage: name, group: group, tp: tp, committed: check.committed, end: check.end, firstOffset: firstOffset)
        }
        logger.info(
            "stage partition holds its committed offset although the broker's high watermark is lower (misreported); rebuilding from its start",
            metadata: [
                "stage": "\(name)", "kafka.partition": "\(tp)", "committed": "\(check.committed)", "kafka.high_watermark": "\(check.end)"
            ])
        try consumer.seek([tp: KafkaOffset.beginning], timeoutMs: 5_000)
        seekPending.insert(tp)
        rebuildUntil[tp] = check.committed
    }

    private func send(_ message: OutgoingMessage, for tp: TopicPartition, offset: Int64) throws {
        let ticket = tracker.addOutput(tp, offset: offset)
        try producer.send(message, opaque: ticket)
        statistics.sent += 1
    }

    private func settle(_ reports: [DeliveryReport]) throws {
        for report in reports {
            if let error = report.error {
                throw StageFailure(
                    description:
                        "stage \(name): a message to \(report.topic) was not delivered (\(error)); stopping so that a restart re-reads from the last commit"
                )
            }
            tracker.acknowledge(report.opaque)
        }
    }

    /// Waits up to `timeoutMs` for every output to be acknowledged, then stores and commits.
    private func drainAndCommit(timeoutMs: Int32) {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutMs))
        while tracker.pendingOutputs > 0, ContinuousClock.now < deadline {
            do { try settle(producer.poll(timeoutMs: 50)) } catch {
                logger.error("stage delivery failed while draining", metadata: ["stage": "\(name)", "error": "\(error)"])
                break
            }
        }
        do {
            try consumer.storeOffsets(tracker.committableOffsets())
            try consumer.commit()
        } catch {
            logger.error("stage commit failed", metadata: ["stage": "\(name)", "kafka.error": "\(error)"])
        }
    }

    private func shutdown() {
        drainAndCommit(timeoutMs: 10_000)
        consumer.close()
        producer.close(timeoutMs: 2000)
        logger.info(
            "stage stopped",
            metadata: [
                "stage": "\(name)", "records.live": "\(statistics.live)", "records.rebuilt": "\(statistics.rebuilt)",
                "messages.sent": "\(statistics.sent)",
                // This stage's alerts (the daemon's `stopped` line, logged last, counts every stage's).
                "stats.alerts": "\(statistics.alertsByKind.reduce(0, +))"
            ])
    }

    // MARK: - KafkaRebalanceListener

    func consumer(_ consumer: KafkaConsumer, willRevoke partitions: [TopicPartition], lost: Bool) {
        if !lost { drainAndCommit(timeoutMs: 10_000) }
        for tp in partitions {
            work.end(tp.partition)
            owned.remove(tp)
            tracker.drop(tp)
            rebuildUntil[tp] = nil
            verifying[tp] = nil
            seekPending.remove(tp)
        }
    }

    func consumer(_ consumer: KafkaConsumer, willAssign partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        var committed: [TopicPartition: Int64] = [:]
        do { committed = try consumer.committed(partitions) } catch {
            // Without the committed offsets nothing can be told apart from new input: republishing
            // everything is at-least-once (the next stage drops repeats by key); skipping would lose.
            logger.error(
                "stage cannot read committed offsets; rebuilding from the start and publishing again",
                metadata: ["stage": "\(name)", "kafka.error": "\(error)"])
        }
        var starts: [TopicPartition: Int64] = [:]
        for tp in partitions {
            work.begin(tp.partition)
            owned.insert(tp)
            tracker.drop(tp)
            seekPending.remove(tp)
            let plan = self.plan(tp, committed: committed[tp])
            rebuildUntil[tp] = plan.silentUntil
            verifying[tp] = nil
            if case .verifyBeyondEnd(let c, let end) = plan { verifying[tp] = (c, end) }
            starts[tp] = plan.start
        }
        logger.info(
            "stage partitions assigned; rebuilding from their start",
            metadata: [
                "stage": "\(name)", "kafka.partitions": "\(partitions)",
                "committed": "\(committed.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })"
            ])
        return starts
    }

    /// Reads `tp`'s watermarks (when something is committed) and decides how to take it up; says
    /// so when the log's start was deleted past the committed offset.
    private func plan(_ tp: TopicPartition, committed: Int64?) -> RebuildPlan {
        var low: Int64?
        var high: Int64?
        if let committed, committed > 0 {
            do { (low, high) = try watermarksForTesting?(tp) ?? consumer.queryWatermarks(tp, timeoutMs: 5_000) } catch {
                logger.warning(
                    "stage cannot read the log's watermarks; rebuilding up to the committed offset without checking it is inside the log",
                    metadata: ["stage": "\(name)", "kafka.partition": "\(tp)", "kafka.error": "\(error)"])
            }
        }
        let plan = RebuildPlan(committed: committed, low: low, high: high)
        switch plan {
        case .committedBeforeStart(let c, let start):
            logger.warning(
                "stage committed offset is before the log's start (retention deleted it): records before the start were never read here and the state they built is lost; reading from the start, live",
                metadata: [
                    "stage": "\(name)", "kafka.partition": "\(tp)", "kafka.group": "\(group)", "committed": "\(c)",
                    "kafka.low_watermark": "\(start)"
                ])
        case .verifyBeyondEnd(let c, let end):
            logger.notice(
                "stage committed offset is beyond the log end the broker reports; fetching from just before it to confirm",
                metadata: ["stage": "\(name)", "kafka.partition": "\(tp)", "committed": "\(c)", "kafka.high_watermark": "\(end)"])
        case .live, .rebuild: break
        }
        return plan
    }
}
