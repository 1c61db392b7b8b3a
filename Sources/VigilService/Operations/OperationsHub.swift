import Foundation
import Logging
import VigilCore
import VigilKafka

/// The processing loop's one door to operations: systemd notifications and watchdog, the
/// snapshot the admin API serves, `/aggregates` answers and SIGHUP reloads.
///
/// Confined to the processing thread; the loop calls it at three places: `recordArriving()`
/// for each message, `tick(...)` at the end of every iteration, `stopping()` before draining.
/// Everything another thread reads goes through `board`.
final class OperationsHub {
    let board: OperationsBoard
    private let notifier: SystemdNotifier
    private var watchdog: SystemdWatchdog
    let logger: Logger
    private let configPath: String?
    private let environment: () -> [String: String]
    private let publishEvery: Duration
    private let statusEvery: Duration

    /// Filled by recovery: partitions whose state is being rebuilt by replay (not ready).
    var rebuilding: Set<TopicPartition> = []
    /// Committed offsets found outside the log at assignment, shown by readiness for 10 minutes
    /// after they are found (the log line and the metric stay).
    var recoveryProblems: [TopicPartition: String] = [:] {
        didSet { for tp in recoveryProblems.keys where problemSince[tp] == nil { problemSince[tp] = .now } }
    }
    private var problemSince: [TopicPartition: ContinuousClock.Instant] = [:]
    /// The main pipeline's consumer group membership, from its statistics (readiness).
    private var settlement = GroupSettlement()
    /// Set by a broker probe to override what librdkafka's error events say.
    var brokerOverride: BrokerHealth?
    /// The risk model's version once one is loaded (`[model]`).
    var modelVersion: String?

    private var readySent = false
    private var batchStart: ContinuousClock.Instant?
    private var latency = LatencyHistogram()
    private var lastPublish: ContinuousClock.Instant?
    private var lastStatus: ContinuousClock.Instant?
    private var capHits = MonotonicTotals()
    private var keysExpired = MonotonicTotals()
    private var hotspotCategories = HotspotCategoryCache()
    private var reloadsApplied = 0
    private var reloadsRefused = 0
    /// What the model file looked like when last loaded or rejected (see `+Model`).
    var modelFileSeen: ModelFileStamp?
    var lastModelCheck: ContinuousClock.Instant?

    init(
        board: OperationsBoard, notifier: SystemdNotifier, logger: Logger, configPath: String?,
        environment: @escaping () -> [String: String] = { ProcessInfo.processInfo.environment },
        publishEvery: Duration = .seconds(1), statusEvery: Duration = .seconds(5)
    ) {
        self.board = board
        self.notifier = notifier
        self.logger = logger
        self.configPath = configPath
        self.environment = environment
        self.publishEvery = publishEvery
        self.statusEvery = statusEvery
        watchdog = SystemdWatchdog(interval: notifier.watchdogInterval)
    }

    /// A hub that talks to nobody (tests, tools).
    static func inert(logger: Logger) -> OperationsHub {
        OperationsHub(board: OperationsBoard(), notifier: SystemdNotifier(environment: [:]), logger: logger, configPath: nil)
    }

    /// Call site 1, for each consumed message: marks the start of a batch (one clock read per batch).
    @inline(__always)
    func recordArriving() {
        if batchStart == nil { batchStart = .now }
    }

    /// The arrival of the batch being read, taken by a batch that finishes later (pipelined
    /// engines: its outputs go out during the next poll), which then reports it to `batchDone`.
    func takeBatchStart() -> ContinuousClock.Instant? {
        defer { batchStart = nil }
        return batchStart
    }

    /// A batch that arrived at `start` has sent its outputs: one `vigil_batch_processing_seconds` sample.
    func batchDone(since start: ContinuousClock.Instant) {
        latency.observe((ContinuousClock.now - start).seconds)
    }

    /// Incidents accepted since the last tick, handed to the page's ring once per tick (packed
    /// records: keeping them retains none of the incident's strings).
    private var acceptedIncidents = IncidentRecords()

    /// Page hook, for each accepted incident: kept locally (no lock) until the next tick.
    @inline(__always)
    func recordAccepted(_ incident: Incident) {
        acceptedIncidents.append(
            id: incident.id, eventTime: incident.eventTime, category: incident.category, neighbourhood: incident.neighbourhood,
            latitude: incident.latitude, longitude: incident.longitude)
    }

    /// Page hook, for each published alert: appended to the `/events` ring at once (alerts are rare).
    func recordPublished(alertJSON json: [UInt8]) {
        board.alertFeed.append(json)
    }

    /// Whether the next `tick` would read or change the engines (a question or a reload waits, a
    /// model file check or a snapshot is due): the loop then brings home the engines of a batch
    /// still running (`enginesHome`). At most about once a second in a busy loop.
    func needsEngines(at now: ContinuousClock.Instant, config: VigilConfiguration) -> Bool {
        if board.hasQuestions || board.hasReloadRequest || !readySent { return true }
        if config.model.path != nil, lastModelCheck.map({ now - $0 >= Self.modelCheckInterval }) ?? true { return true }
        return lastPublish.map { now - $0 >= publishEvery } ?? true
    }

    /// Call site 2, at the end of every loop iteration (at least every poll timeout).
    /// `enginesHome` false: some engines are out on a running batch, so `engines` is partial;
    /// the questions, reloads, model checks and snapshot then wait for a later tick.
    func tick(
        consumer: KafkaConsumer, config: inout VigilConfiguration, engines: inout [TopicPartition: IncidentEngine],
        statistics: PipelineStatistics, enginesHome: Bool = true
    ) {
        let now = ContinuousClock.now
        board.beat(now)
        if !acceptedIncidents.isEmpty {
            board.recentIncidents.append(acceptedIncidents)
            acceptedIncidents.removeAll()
        }
        if let start = batchStart {
            latency.observe((now - start).seconds)
            batchStart = nil
        }
        if watchdog.isDue(at: now) { notifier.watchdog() }
        guard enginesHome else { return }
        for question in board.takeQuestions() { question.reply(question.query.answer(engines)) }
        if board.takeReloadRequest() { reload(&config, &engines) }
        reloadModelIfFileChanged(&config, &engines, now: now)
        if let last = lastPublish, now - last < publishEvery, readySent { return }
        lastPublish = now
        let snapshot = makeSnapshot(consumer: consumer, engines: engines, statistics: statistics)
        board.publish(snapshot)
        if !readySent {
            readySent = true
            notifier.ready(status: Self.status(snapshot))
            lastStatus = now
        } else if lastStatus.map({ now - $0 >= statusEvery }) ?? true {
            lastStatus = now
            notifier.status(Self.status(snapshot))
        }
    }

    /// During a long wait inside the loop (draining on revoke or stop, broker calls at
    /// assignment): feeds the watchdog and the liveness beat, nothing else.
    func keepAlive() {
        let now = ContinuousClock.now
        board.beat(now)
        if watchdog.isDue(at: now) { notifier.watchdog() }
    }

    /// Call site 3, when a stop was requested, before draining.
    func stopping() {
        notifier.stopping()
        notifier.status("stopping: draining deliveries and committing")
    }

    // MARK: - Snapshot

    private func makeSnapshot(
        consumer: KafkaConsumer, engines: [TopicPartition: IncidentEngine],
        statistics: PipelineStatistics
    ) -> OperationsSnapshot {
        var s = OperationsSnapshot()
        s.takenAt = Date().timeIntervalSince1970
        s.statistics = statistics
        let assigned = engines.keys.sorted()
        let lags = consumer.lag(assigned)
        var caps: [TopicPartition: Int] = [:]
        var expired: [TopicPartition: Int] = [:]
        for tp in assigned {
            let engine = engines[tp]!
            s.partitions.append(
                .init(
                    topicPartition: tp, rebuilding: rebuilding.contains(tp),
                    newestEventTime: engine.watermark.maxEventTime, lag: lags[tp], keys: engine.statistics.keys))
            s.keys += engine.statistics.keys
            caps[tp] = engine.statistics.capHits
            expired[tp] = engine.statistics.keysExpired
            for h in hotspotCategories.hotspots(of: engine, partition: tp) { s.hotspots.append(.init(partition: tp, hotspot: h)) }
        }
        hotspotCategories.keep(only: Set(assigned))
        s.capHits = capHits.total(caps)
        s.keysExpired = keysExpired.total(expired)
        s.hasAssignment = !assigned.isEmpty
        let now = ContinuousClock.now
        for (tp, since) in problemSince where now - since > .seconds(600) {
            problemSince[tp] = nil
            recoveryProblems[tp] = nil
        }
        s.recoveryProblems = recoveryProblems.keys.sorted().map { recoveryProblems[$0]! }
        let stages = board.stages.snapshot
        s.stagesRebuilding = stages.filter { $0.value.rebuilding > 0 }.mapValues(\.rebuilding)
        s.stagesUnsettled = stages.filter { $0.value.unsettledSeconds >= StageBoard.unsettledLimit }
            .mapValues { ($0.joinState, $0.unsettledSeconds) }
        settlement.observe(consumer.groupStatistics, at: now)
        let unsettled = Int(settlement.unsettled(at: now).components.seconds)
        s.groupUnsettledSeconds = unsettled
        s.groupUnsettled = unsettled >= StageBoard.unsettledLimit ? (settlement.joinState, unsettled) : nil
        let health = brokerOverride ?? consumer.brokerHealth
        s.brokerReachable = health.reachable
        s.brokerReason = health.reason
        s.batchLatency = latency
        s.modelVersion = modelVersion
        s.reloadsApplied = reloadsApplied
        s.reloadsRefused = reloadsRefused
        return s
    }

    /// The `STATUS=` line systemctl shows.
    static func status(_ s: OperationsSnapshot) -> String {
        let st = s.statistics
        let lag = s.partitions.compactMap(\.lag).reduce(0, +)
        var text =
            "\(s.partitions.count) partitions, \(st.consumed) consumed, \(st.alerts) alerts, \(st.deadLettered) dead-lettered, \(st.late) late, \(s.keys) keys, \(s.hotspots.count) hotspots, lag \(lag)"
        if let reason = s.notReadyReason { text += "; not ready: \(reason)" }
        return text
    }

    // MARK: - Reload

    private func reload(_ config: inout VigilConfiguration, _ engines: inout [TopicPartition: IncidentEngine]) {
        notifier.reloading()
        defer { notifier.ready(status: "reloaded configuration") }
        guard let configPath else { return }
        let candidate: VigilConfiguration
        do {
            // As the running configuration is held: with the tile layout, the scan is the stages'.
            candidate = try VigilConfiguration.load(path: configPath, environment: environment()).loadingFiles().mainPipeline()
        } catch {
            reloadsRefused += 1
            logger.error(
                "reload refused: the configuration is invalid; the running configuration stays",
                metadata: ["config.path": "\(configPath)", "error": "\(error)"])
            return
        }
        switch ConfigReloadPlan(old: config, new: candidate).decision {
        case .unchanged where !Self.sameModel(candidate.engine.risk, config.engine.risk):
            // Same settings, new model file contents: swap the model alone.
            swapModel(candidate.engine.risk, into: &config, &engines, reason: "SIGHUP")
            reloadsApplied += 1
        case .unchanged:
            logger.notice("reload: configuration unchanged", metadata: ["config.path": "\(configPath)"])
        case .refuse(let keys):
            reloadsRefused += 1
            logger.error(
                "reload refused: these settings need a restart; the running configuration stays",
                metadata: ["config.keys": "\(keys.joined(separator: ","))", "config.path": "\(configPath)"])
        case .apply(let keys):
            // The candidate's model was loaded and validated by `loadingFiles()` above: a
            // bad model file refused the whole reload there, and the old model keeps serving.
            for tp in Array(engines.keys) { _ = engines[tp]!.updateRules(candidate.engine) }
            if !Self.sameModel(candidate.engine.risk, config.engine.risk) {
                var swapped = config
                swapModel(candidate.engine.risk, into: &swapped, &engines, reason: "SIGHUP")
            }
            if let level = Logger.Level(rawValue: candidate.log.level) { LogLevelControl.shared.level = level }
            config = candidate
            reloadsApplied += 1
            logger.notice("reload applied", metadata: ["config.keys": "\(keys.joined(separator: ","))", "config.path": "\(configPath)"])
        }
    }
}
