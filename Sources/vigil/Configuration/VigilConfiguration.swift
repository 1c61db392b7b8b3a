import Foundation
import VigilCore
import VigilKafka

/// Everything `vigil run` needs, validated. Every key is documented with its default in
/// `Config/vigil.toml`; environment variables `VIGIL_<KEY>` override the file.
struct VigilConfiguration {
    struct Kafka {
        var bootstrapServers: String
        var groupID: String
        var clientID: String
        /// Create the output topics at startup when they are missing.
        var createTopics: Bool
        var topicPartitions: Int
        /// Passed verbatim to librdkafka (consumer / producer).
        var consumer: [String: String]
        var producer: [String: String]
    }

    struct Topics {
        var incidents: String
        var alerts: String
        var deadLetter: String
        var late: String
        /// CAP 1.2 XML rendering of every alert; nil: off.
        var cap: String? = nil
        /// Every accepted incident with its near-repeat score (when a model serves); nil: off.
        var scored: String? = nil
    }

    struct Log {
        enum Format: String { case json, logfmt }
        var level: String
        var format: Format
    }

    struct Pipeline {
        var maxBatch: Int
        /// How long shutdown waits for outstanding deliveries before giving up (offsets stay uncommitted).
        var shutdownTimeoutMs: Int
        /// Incidents timed further than this ahead of the wall clock are dead-lettered
        /// (`future_event_time`): one would drag its partition's watermark into the future and
        /// make every later incident late.
        var maxFutureMs: Int64 = 86_400_000
    }

    /// How a newly assigned partition rebuilds its state (DESIGN.md principle 3).
    struct Recovery: Equatable {
        enum Rewind: Equatable {
            /// The engine's state horizon (`EngineConfiguration.stateHorizon`): exact windows and
            /// rules, but hotspots older than the rewind come back under new ids.
            case auto
            /// Everything the broker still holds: exactly the state of an instance that never
            /// stopped (the default; rebuild time grows with retention).
            case all
            case duration(EventDuration)
        }
        var rewind: Rewind

        /// Event-time depth in milliseconds, nil for the whole partition.
        func depth(for engine: EngineConfiguration) -> Int64? {
            switch rewind {
            case .auto: return engine.stateHorizon.milliseconds
            case .all: return nil
            case .duration(let d): return d.milliseconds
            }
        }
    }

    /// `[model]`: the near-repeat risk model (the daemon reloads it from `path` on request).
    struct Model {
        /// Resolved path of the model file; nil when scoring is disabled.
        var path: String?
        var threshold: Double
        var topFeatures: Int
    }

    var kafka: Kafka
    var topics: Topics
    var decoder: IncidentDecoder
    var engine: EngineConfiguration
    var log: Log
    var pipeline: Pipeline
    var recovery = Recovery(rewind: .all)
    /// `[admin]` and `[cap]` (see OperationsSettings), `[kafka]` TLS/SASL (see KafkaSecuritySettings).
    var operations = OperationsSettings()
    var security = KafkaSecuritySettings()
    /// Dead letters, bad clocks, delivery failures, backpressure (see ReliabilitySettings).
    var reliability = ReliabilitySettings()
    var model = Model(path: nil, threshold: 0.5, topFeatures: 5)
    /// `[public]` and `topics.public`: the differentially private open-data feed (PublicSettings).
    var publicFeed = PublicSettings()
    /// Keys that came from the environment, for `check-config`.
    var environmentKeys: Set<String> = []

    static let validLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Loads and validates `path`; throws with the offending key and its fix.
    static func load(path: String, environment: [String: String]) throws(ConfigurationError) -> VigilConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(key: "", message: "cannot read configuration file '\(path)'", fix: "pass --config with a readable TOML file (see Config/vigil.toml)")
        }
        return try parse(toml: text, environment: environment, directory: (path as NSString).deletingLastPathComponent)
    }

    /// `directory` resolves relative paths in the file (model.path); nil: the working directory.
    static func parse(toml: String, environment: [String: String], directory: String? = nil) throws(ConfigurationError) -> VigilConfiguration {
        var r = try ConfigReader(toml: toml, environment: environment)

        let kafka = Kafka(
            bootstrapServers: try r.string("kafka.bootstrap_servers", default: "127.0.0.1:9092"),
            groupID: try r.string("kafka.group_id", default: "vigil"),
            clientID: try r.string("kafka.client_id", default: "vigil"),
            createTopics: try r.bool("kafka.create_topics", default: true),
            topicPartitions: try r.int("kafka.topic_partitions", default: 6),
            consumer: try r.properties("kafka.consumer"),
            producer: try r.properties("kafka.producer"))
        try require(!kafka.bootstrapServers.isEmpty, "kafka.bootstrap_servers", "must not be empty", "e.g. \"broker1:9092,broker2:9092\"")
        try require(!kafka.groupID.isEmpty, "kafka.group_id", "must not be empty", "name the consumer group, e.g. \"vigil\"")
        try require(kafka.topicPartitions >= 1, "kafka.topic_partitions", "must be at least 1", nil)
        for (section, props) in [("kafka.consumer", kafka.consumer), ("kafka.producer", kafka.producer)] {
            for managed in ["bootstrap.servers", "group.id", "enable.auto.offset.store"] where props[managed] != nil && !(section == "kafka.producer" && managed == "bootstrap.servers") {
                throw ConfigurationError(key: "\(section).\(managed)", message: "is managed by Vigil", fix: "remove it; set kafka.bootstrap_servers / kafka.group_id instead")
            }
        }

        let deadLetterTopic = try r.string("topics.dead_letter", default: "incidents.dlq")
        let topics = Topics(
            incidents: try r.string("topics.incidents", default: "incidents"),
            alerts: try r.string("topics.alerts", default: "vigil.alerts"),
            deadLetter: deadLetterTopic,
            late: try r.optionalString("topics.late") ?? deadLetterTopic)
        for (key, name) in [("topics.incidents", topics.incidents), ("topics.alerts", topics.alerts), ("topics.dead_letter", topics.deadLetter), ("topics.late", topics.late)] {
            try require(isValidTopic(name), key, "'\(name)' is not a valid Kafka topic name", "use 1–249 characters from [a-zA-Z0-9._-]")
        }
        try require(topics.alerts != topics.incidents, "topics.alerts", "must differ from topics.incidents", "alerts feeding back into the input would loop")
        try require(topics.deadLetter != topics.incidents, "topics.dead_letter", "must differ from topics.incidents", "dead letters feeding back into the input would loop")

        let maxBytes = try r.int("input.max_message_bytes", default: 65_536)
        try require((64...16_777_216).contains(maxBytes), "input.max_message_bytes", "must be between 64 and 16777216", nil)

        let cellSize = try r.double("grid.cell_size_m", default: 250)
        try require(cellSize >= 10 && cellSize <= 100_000, "grid.cell_size_m", "must be between 10 and 100000 metres", "250 suits a city; locations snapped to intersections make cells under ~100 m meaningless")
        let box = try r.doubles("grid.bbox", default: [43.58, -79.64, 43.86, -79.11])
        try require(box.count == 4, "grid.bbox", "must have 4 numbers [south, west, north, east]", "e.g. [43.58, -79.64, 43.86, -79.11]")
        let bounds = GeoBounds(south: box[0], west: box[1], north: box[2], east: box[3])
        try require(bounds.isValid, "grid.bbox", "is not a valid box (need -90 ≤ south < north ≤ 90, -180 ≤ west < east ≤ 180)", "order is [south, west, north, east]")

        let lateness = try duration(&r, "time.allowed_lateness", default: "1h")

        let countEnabled = try r.bool("rules.count.enabled", default: true)
        let rule = CountRuleConfiguration(
            window: try duration(&r, "rules.count.window", default: "24h"),
            resolution: try duration(&r, "rules.count.resolution", default: "1h"),
            threshold: try r.int("rules.count.threshold", default: 4),
            cooldown: try duration(&r, "rules.count.cooldown", default: "24h"))
        if let problem = rule.problems().first {
            throw ConfigurationError(key: "rules.count.\(problem.key)", message: problem.message, fix: nil)
        }
        var windows: [WindowSpec] = []
        for text in try r.strings("windows.horizons", default: WindowSpec.defaults.map(\.description)) {
            guard let spec = WindowSpec.parse(text) else {
                throw ConfigurationError(key: "windows.horizons", message: "'\(text)' is not horizon/resolution", fix: "write entries like \"24h/1h\"")
            }
            if let problem = spec.problem { throw ConfigurationError(key: "windows.horizons", message: "'\(text)': \(problem)", fix: nil) }
            windows.append(spec)
        }
        try require(!windows.isEmpty, "windows.horizons", "must list at least one window", "e.g. [\"24h/1h\"]")

        let surgeEnabled = try r.bool("rules.surge.enabled", default: true)
        let surge = SurgeRuleConfiguration(
            window: try duration(&r, "rules.surge.window", default: "6h"),
            trailingWeeks: try r.int("rules.surge.trailing_weeks", default: 8),
            minimumCount: try r.int("rules.surge.minimum_count", default: 5),
            minimumExpected: try r.double("rules.surge.minimum_expected", default: 0.5),
            pValue: try r.double("rules.surge.p_value", default: 1e-4),
            cooldown: try duration(&r, "rules.surge.cooldown", default: "24h"))
        if let problem = surge.problems().first {
            throw ConfigurationError(key: "rules.surge.\(problem.key)", message: problem.message, fix: nil)
        }

        let hotspotsEnabled = try r.bool("hotspots.enabled", default: true)
        let hotspotWindowText = try r.string("hotspots.window", default: "28d/1d")
        guard let hotspotWindow = WindowSpec.parse(hotspotWindowText) else {
            throw ConfigurationError(key: "hotspots.window", message: "'\(hotspotWindowText)' is not horizon/resolution", fix: "e.g. \"28d/1d\"")
        }
        let hotspots = HotspotConfiguration(
            window: hotspotWindow,
            evaluateEvery: try duration(&r, "hotspots.evaluate_every", default: "1d"),
            zThreshold: try r.double("hotspots.z_threshold", default: 3.090232306167813),
            minimumLocalCount: try r.int("hotspots.minimum_local_count", default: 5),
            minimumCells: try r.int("hotspots.minimum_cells", default: 3),
            minimumPersistence: try r.int("hotspots.minimum_persistence", default: 3),
            growthFactor: try r.double("hotspots.growth_factor", default: 1.5),
            closeAfter: try duration(&r, "hotspots.close_after", default: "7d"))
        if let problem = hotspots.problems().first {
            throw ConfigurationError(key: "hotspots.\(problem.key)", message: problem.message, fix: nil)
        }

        let maxKeys = try r.int("state.max_keys", default: 1_000_000)
        try require(maxKeys >= 1, "state.max_keys", "must be at least 1", nil)

        let level = try r.string("log.level", default: "info")
        try require(validLevels.contains(level), "log.level", "'\(level)' is not a log level", "use one of \(validLevels.joined(separator: ", "))")
        let formatText = try r.string("log.format", default: "json")
        guard let format = Log.Format(rawValue: formatText) else {
            throw ConfigurationError(key: "log.format", message: "'\(formatText)' is not a log format", fix: "use \"json\" or \"logfmt\"")
        }

        var pipeline = Pipeline(
            maxBatch: try r.int("pipeline.max_batch", default: 1000),
            shutdownTimeoutMs: Int(try duration(&r, "pipeline.shutdown_timeout", default: "20s").milliseconds))
        pipeline.maxFutureMs = try duration(&r, "input.max_future", default: "1d").milliseconds
        try require(pipeline.maxFutureMs > 0, "input.max_future", "must be positive", "write a duration like \"1d\"")
        try require((1...100_000).contains(pipeline.maxBatch), "pipeline.max_batch", "must be between 1 and 100000", nil)
        let reliability = try ReliabilitySettings.read(&r, producer: kafka.producer, lateness: lateness, maxFutureMs: pipeline.maxFutureMs)
        try ReliabilitySettings.checkGrid(cellSize: cellSize, bounds: bounds)
        let alerts = try AlertSettings.read(&r, cellSize: cellSize)

        let rewindText = try r.string("recovery.rewind", default: "all")
        let rewind: Recovery.Rewind
        switch rewindText {
        case "auto": rewind = .auto
        case "all": rewind = .all
        default:
            guard let d = EventDuration.parse(rewindText), d.milliseconds > 0 else {
                throw ConfigurationError(key: "recovery.rewind", message: "'\(rewindText)' is not \"auto\", \"all\" or a duration",
                                         fix: "write \"auto\" (the engine's state horizon), \"all\" or a duration like \"90d\"")
            }
            rewind = .duration(d)
        }
        let operations = try OperationsSettings.read(&r)
        let security = try KafkaSecuritySettings.read(&r, environment: environment)
        let capTopic = try r.string("topics.cap", default: "")
        let scoredTopic = try r.string("topics.scored", default: "")
        if !scoredTopic.isEmpty {
            try require(isValidTopic(scoredTopic), "topics.scored", "'\(scoredTopic)' is not a valid Kafka topic name", "use 1–249 characters from [a-zA-Z0-9._-], or \"\" for off")
            try require(scoredTopic != topics.incidents && scoredTopic != topics.alerts, "topics.scored", "must differ from topics.incidents and topics.alerts", nil)
        }
        try checkOperations(kafka: kafka, topics: topics, capTopic: capTopic)
        let modelPathText = try r.string("model.path", default: "")
        let model = Model(
            path: modelPathText.isEmpty ? nil : ModelFile.resolve(modelPathText, relativeTo: directory),
            threshold: try r.double("model.threshold", default: 0.5),
            topFeatures: try r.int("model.top_features", default: 5))
        try require(model.threshold > 0 && model.threshold <= 1, "model.threshold", "must be in (0, 1]", "pick it from the evaluation in docs/ACCURACY.md, e.g. the top 5% of scores")
        try require((0...50).contains(model.topFeatures), "model.top_features", "must be between 0 and 50", nil)

        let publicFeed = try PublicSettings.read(&r, directory: directory)
        if let unknown = r.unknownKeys().first {
            throw ConfigurationError(key: unknown, message: "is not a Vigil setting", fix: "check the spelling against Config/vigil.toml (librdkafka properties go under [kafka.consumer] or [kafka.producer])")
        }

        var config = VigilConfiguration(
            kafka: kafka, topics: topics,
            decoder: IncidentDecoder(maxMessageBytes: maxBytes, bounds: bounds),
            engine: EngineConfiguration(grid: MetricGrid(cellSize: cellSize, bounds: bounds), allowedLateness: lateness,
                                        windows: windows, countRule: countEnabled ? rule : nil,
                                        surgeRule: surgeEnabled ? surge : nil, hotspots: hotspotsEnabled ? hotspots : nil,
                                        maxKeys: maxKeys, clusters: alerts.clusters, alertKinds: alerts.kinds),
            log: Log(level: level, format: format), pipeline: pipeline)
        config.recovery = Recovery(rewind: rewind)
        if case .duration(let d) = rewind, d.milliseconds < config.engine.stateHorizon.milliseconds {
            throw ConfigurationError(key: "recovery.rewind", message: "\(d) is shorter than the engine's state horizon (\(config.engine.stateHorizon)), so rebuilt windows and baselines would be incomplete",
                                     fix: "use \"auto\", \"all\" or at least \"\(config.engine.stateHorizon)\"")
        }
        config.operations = operations
        config.security = security
        config.reliability = reliability
        try ReliabilitySettings.checkBounds(config)
        config.topics.cap = capTopic.isEmpty ? nil : capTopic
        config.topics.scored = scoredTopic.isEmpty ? nil : scoredTopic
        config.model = model
        config.publicFeed = publicFeed
        if let topic = publicFeed.topic, [topics.incidents, topics.alerts, topics.deadLetter, topics.late].contains(topic) {
            throw ConfigurationError(key: "topics.public", message: "'\(topic)' is already used by another stream", fix: "give the public feed a topic of its own: nothing else may ever be written to it")
        }
        if let path = model.path {
            config.engine.risk = try ModelFile.load(path: path, configuration: config.engine, threshold: model.threshold, topFeatures: model.topFeatures)
        }
        config.environmentKeys = r.fromEnvironment
        return config
    }

    private static func duration(_ r: inout ConfigReader, _ key: String, default fallback: String) throws(ConfigurationError) -> EventDuration {
        let text = try r.string(key, default: fallback)
        guard let d = EventDuration.parse(text) else {
            throw ConfigurationError(key: key, message: "'\(text)' is not a duration", fix: "write a duration like \"15m\", \"1h\", \"7d\" or \"1h30m\"")
        }
        return d
    }

    private static func require(_ ok: Bool, _ key: String, _ message: String, _ fix: String?) throws(ConfigurationError) {
        if !ok { throw ConfigurationError(key: key, message: message, fix: fix) }
    }

    static func isValidTopic(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 249 && name != "." && name != ".."
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }
    }

    /// librdkafka settings for the consumer, with Vigil's managed keys.
    var consumerProperties: KafkaConfiguration {
        var props = KafkaConfiguration(kafka.consumer.merging(security.librdkafkaProperties) { mine, _ in mine })
        props["bootstrap.servers"] = kafka.bootstrapServers
        props["group.id"] = kafka.groupID
        props["client.id"] = props["client.id"] ?? kafka.clientID
        return props
    }

    var producerProperties: KafkaConfiguration {
        var props = KafkaConfiguration(kafka.producer.merging(security.librdkafkaProperties) { mine, _ in mine })
        props["bootstrap.servers"] = props["bootstrap.servers"] ?? kafka.bootstrapServers
        props["client.id"] = props["client.id"] ?? kafka.clientID
        return props
    }

    /// Property names whose values must never be printed or logged.
    static func isSecret(_ property: String) -> Bool {
        let p = property.lowercased()
        return p.contains("password") || p.contains("secret") || p.hasSuffix(".key.pem") || p.contains("sasl.oauthbearer.config") || p.hasSuffix("token")
    }
}
