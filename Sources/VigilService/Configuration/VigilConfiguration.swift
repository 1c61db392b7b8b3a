import Foundation
import VigilCore
import VigilKafka

/// Everything `vigil run` needs, validated. Every key is documented with its default in
/// `Config/vigil.toml`; environment variables `VIGIL_<KEY>` override the file.
///
/// Each section is a small type that reads its keys with `read(&reader)` and states its defaults
/// once (`VigilConfiguration+Kafka.swift`, `EngineConfiguration+Reading.swift`, ...). Parsing
/// reads no file a setting names: the secrets, TLS files, public neighbourhood list and model are
/// read at startup by `loadingFiles()`.
struct VigilConfiguration {
    var kafka: Kafka
    var topics: Topics
    var decoder: IncidentDecoder
    var engine: EngineConfiguration
    var log: Log
    var pipeline: Pipeline
    var recovery = Recovery()
    /// `[admin]` and `[cap]` (see OperationsSettings), `[kafka]` TLS/SASL (see KafkaSecuritySettings).
    var operations = OperationsSettings()
    var security = KafkaSecuritySettings()
    /// Dead letters, bad clocks, delivery failures, backpressure (see ReliabilitySettings).
    var reliability = ReliabilitySettings()
    var model = Model()
    /// `[public]` and `topics.public`: the differentially private open-data feed (PublicSettings).
    var publicFeed = PublicSettings()
    /// `[scale_out]`: the emerging-cluster scan as router, tile scans and one lifecycle (ScaleOutSettings).
    var scaleOut = ScaleOutSettings()
    /// The emerging-cluster scan when the tile layout runs it instead of the main pipeline
    /// (`mainPipeline()`). The main pipeline's engines then have no scan, but the configuration
    /// still renders it, so a reload sees a changed scan setting (the stages took theirs at startup).
    var stagedClusters: ClusterScanConfiguration?
    /// Keys that came from the environment, for `check-config`.
    var environmentKeys: Set<String> = []

    /// Reads and validates `path`; throws with the offending key and its fix. The files its
    /// settings name are not read yet (`loadingFiles()`).
    static func load(path: String, environment: [String: String]) throws(ConfigurationError) -> VigilConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(
                key: "", message: "cannot read configuration file '\(path)'",
                fix: "pass --config with a readable TOML file (see Config/vigil.toml)")
        }
        return try parse(toml: text, environment: environment, directory: (path as NSString).deletingLastPathComponent)
    }

    /// Reads the sections in a fixed order (the first problem found is the one reported), then
    /// the checks that tie sections together. `directory` resolves relative paths in the file
    /// (model.path, public files); nil: the working directory.
    static func parse(toml: String, environment: [String: String], directory: String? = nil) throws(ConfigurationError)
        -> VigilConfiguration
    {
        var r = try ConfigReader(toml: toml, environment: environment)
        let kafka = try Kafka.read(&r)
        var topics = try Topics.read(&r)
        let maxMessageBytes = try r.int("input.max_message_bytes", default: IncidentDecoder().maxMessageBytes)
        try require((64...16_777_216).contains(maxMessageBytes), "input.max_message_bytes", "must be between 64 and 16777216", nil)
        var engine = try EngineConfiguration.read(&r)
        let log = try Log.read(&r)
        let pipeline = try Pipeline.read(&r)
        let reliability = try ReliabilitySettings.read(
            &r, producer: kafka.producer, lateness: engine.allowedLateness, maxFutureMs: pipeline.maxFutureMs)
        try ReliabilitySettings.checkGrid(cellSize: engine.grid.cellSize, bounds: engine.grid.bounds)
        let alerts = try AlertSettings.read(&r, cellSize: engine.grid.cellSize)
        engine.clusters = alerts.clusters
        engine.alertKinds = alerts.kinds
        let recovery = try Recovery.read(&r)
        let operations = try OperationsSettings.read(&r)
        let security = try KafkaSecuritySettings.read(&r, environment: environment)
        try topics.readOptionalOutputs(&r, kafka: kafka)
        let model = try Model.read(&r, directory: directory)
        let publicFeed = try PublicSettings.read(&r, directory: directory)
        let scaleOut = try ScaleOutSettings.read(&r, clustersOn: engine.clusters != nil)
        if let unknown = r.unknownKeys().first {
            throw ConfigurationError(
                key: unknown, message: "is not a Vigil setting",
                fix: "check the spelling against Config/vigil.toml (librdkafka properties go under [kafka.consumer] or [kafka.producer])")
        }

        let config = VigilConfiguration(
            kafka: kafka, topics: topics, decoder: IncidentDecoder(maxMessageBytes: maxMessageBytes, bounds: engine.grid.bounds),
            engine: engine, log: log, pipeline: pipeline, recovery: recovery, operations: operations, security: security,
            reliability: reliability, model: model, publicFeed: publicFeed, scaleOut: scaleOut, environmentKeys: r.fromEnvironment)
        try recovery.checkCovers(engine)
        try ReliabilitySettings.checkBounds(config)
        if let topic = publicFeed.topic, [topics.incidents, topics.alerts, topics.deadLetter, topics.late].contains(topic) {
            throw ConfigurationError(
                key: "topics.public", message: "'\(topic)' is already used by another stream",
                fix: "give the public feed a topic of its own: nothing else may ever be written to it")
        }
        let ownTopics = [topics.incidents, topics.alerts, topics.deadLetter, topics.late]
        for (key, topic) in [("scale_out.routed_topic", scaleOut.routedTopic), ("scale_out.findings_topic", scaleOut.findingsTopic)]
        where scaleOut.enabled && ownTopics.contains(topic) {
            throw ConfigurationError(
                key: key, message: "'\(topic)' is already used by another stream", fix: "give each stage's output a topic of its own")
        }
        return config
    }

    /// This configuration as the main pipeline runs it. With the tile layout running
    /// (`scale_out.runs`), the scan belongs to the stages: the main pipeline's engines run every
    /// other rule, and the scan's settings move to `stagedClusters`. Otherwise unchanged.
    func mainPipeline() -> VigilConfiguration {
        guard scaleOut.runs, let clusters = engine.clusters else { return self }
        var main = self
        main.stagedClusters = clusters
        main.engine.clusters = nil
        return main
    }

    static func require(_ ok: Bool, _ key: String, _ message: String, _ fix: String?) throws(ConfigurationError) {
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
        return p.contains("password") || p.contains("secret") || p.hasSuffix(".key.pem") || p.contains("sasl.oauthbearer.config")
            || p.hasSuffix("token")
    }
}
