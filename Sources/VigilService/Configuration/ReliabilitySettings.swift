import VigilCore

/// Settings that keep one bad message, one bad clock or one refused delivery from stopping the
/// daemon (docs/RELIABILITY.md, "Fault matrix"), and the bounds that keep hostile configuration
/// values from trapping or exhausting memory. Every key is in `Config/vigil.toml`.
struct ReliabilitySettings: Sendable, Equatable {
    /// `input.dead_letter_max_bytes`: a dead letter's copied payload is cut to this size (its
    /// full length and SHA-256 go in headers), so a dead letter always fits the topic.
    var deadLetterMaxBytes = 262_144
    /// `input.clock_skew`: incidents at most this far ahead of the server clock are processed at
    /// once; further ahead (up to `input.max_future`) they are held until the clock reaches them.
    var clockSkewMs: Int64 = 300_000
    /// `input.max_held`: incidents held at most (beyond: dead-lettered as `future_event_time`).
    var maxHeld = 10_000
    /// `pipeline.max_in_flight`: unacknowledged outputs above which fetching pauses.
    var maxInFlight = 20_000
    /// `pipeline.delivery_timeout`: how long a retriable delivery failure is retried.
    var deliveryTimeoutMs: Int64 = 300_000
    /// `kafka.replication_factor`: for topics Vigil creates; -1 is the broker's default.
    var replicationFactor = -1

    /// The longest duration any setting may have: sums of event times and durations stay far
    /// from Int64 overflow, and no window or cooldown outlives the data it is about.
    static let maxDurationMs: Int64 = 3_660 * 86_400_000

    static func read(
        _ r: inout ConfigReader, producer: [String: String], lateness: EventDuration,
        maxFutureMs: Int64
    ) throws(ConfigurationError) -> ReliabilitySettings {
        var s = ReliabilitySettings()
        let producerLimit = producer["message.max.bytes"].flatMap { Int($0) } ?? 1_000_000
        s.deadLetterMaxBytes = try r.int("input.dead_letter_max_bytes", default: s.deadLetterMaxBytes)
        let ceiling = producerLimit - 65_536
        guard s.deadLetterMaxBytes >= 1024, s.deadLetterMaxBytes <= ceiling else {
            throw ConfigurationError(
                key: "input.dead_letter_max_bytes",
                message: "must be between 1024 and \(ceiling) (the producer's message.max.bytes \(producerLimit) less 64 KiB for headers)",
                fix: "e.g. 262144; raise kafka.producer \"message.max.bytes\" (and the topic's max.message.bytes) for more")
        }
        // Default: 5 minutes, or half the allowed lateness when that is shorter (it must stay below it).
        let skewDefault = EventDuration(milliseconds: min(300_000, lateness.milliseconds / 2))
        s.clockSkewMs = try r.duration(
            "input.clock_skew", default: skewDefault.milliseconds > 0 ? skewDefault : .minutes(5), fix: durationFix
        ).milliseconds
        guard s.clockSkewMs > 0, s.clockSkewMs < lateness.milliseconds, s.clockSkewMs <= maxFutureMs else {
            throw ConfigurationError(
                key: "input.clock_skew",
                message: "must be positive, less than time.allowed_lateness (\(lateness)) and at most input.max_future",
                fix: "e.g. \"5m\": an incident stamped now is then never late however far ahead another one was stamped")
        }
        guard maxFutureMs <= 30 * 86_400_000 else {
            throw ConfigurationError(
                key: "input.max_future", message: "must be at most 30d",
                fix: "e.g. \"1d\"; incidents further ahead of the server clock are dead-lettered")
        }
        s.maxHeld = try r.int("input.max_held", default: s.maxHeld)
        guard (0...1_000_000).contains(s.maxHeld) else {
            throw ConfigurationError(key: "input.max_held", message: "must be between 0 and 1000000", fix: "e.g. 10000")
        }
        s.maxInFlight = try r.int("pipeline.max_in_flight", default: s.maxInFlight)
        guard (100...10_000_000).contains(s.maxInFlight) else {
            throw ConfigurationError(key: "pipeline.max_in_flight", message: "must be between 100 and 10000000", fix: "e.g. 20000")
        }
        s.deliveryTimeoutMs = try r.duration(
            "pipeline.delivery_timeout", default: EventDuration(milliseconds: s.deliveryTimeoutMs), fix: durationFix
        ).milliseconds
        guard (1000...86_400_000).contains(s.deliveryTimeoutMs) else {
            throw ConfigurationError(key: "pipeline.delivery_timeout", message: "must be between 1s and 1d", fix: "e.g. \"5m\"")
        }
        s.replicationFactor = try r.int("kafka.replication_factor", default: s.replicationFactor)
        guard s.replicationFactor == -1 || (1...32).contains(s.replicationFactor) else {
            throw ConfigurationError(
                key: "kafka.replication_factor", message: "must be -1 (the broker's default) or between 1 and 32",
                fix: "use -1 unless the cluster's default is wrong for Vigil's topics")
        }
        return s
    }

    /// Bounds on values read elsewhere that would otherwise trap (overflow) or exhaust memory.
    /// Cell coordinates are Int32 and cell indices are products of them: keep both in range.
    static func checkGrid(cellSize: Double, bounds: GeoBounds) throws(ConfigurationError) {
        let grid = MetricGrid(cellSize: cellSize, bounds: bounds)
        let (width, height) = grid.project(latitude: bounds.north, longitude: bounds.east)
        let columns = (width / cellSize).rounded(.up)
        let rows = (height / cellSize).rounded(.up)
        guard columns <= 1_000_000, rows <= 1_000_000 else {
            throw ConfigurationError(
                key: "grid.bbox", message: "spans \(Int(columns)) × \(Int(rows)) cells of \(cellSize) m; at most 1000000 cells each way",
                fix: "shrink the box to the area served, or use a larger grid.cell_size_m")
        }
    }

    static func checkBounds(_ config: VigilConfiguration) throws(ConfigurationError) {
        let engine = config.engine
        var durations: [(String, Int64)] = [
            ("time.allowed_lateness", engine.allowedLateness.milliseconds),
            ("pipeline.shutdown_timeout", Int64(config.pipeline.shutdownTimeoutMs))
        ]
        if let rule = engine.countRule {
            durations += [("rules.count.window", rule.window.milliseconds), ("rules.count.cooldown", rule.cooldown.milliseconds)]
        }
        if let surge = engine.surgeRule { durations.append(("rules.surge.cooldown", surge.cooldown.milliseconds)) }
        if let hotspots = engine.hotspots {
            durations += [
                ("hotspots.evaluate_every", hotspots.evaluateEvery.milliseconds), ("hotspots.close_after", hotspots.closeAfter.milliseconds)
            ]
        }
        if case .duration(let d) = config.recovery.rewind { durations.append(("recovery.rewind", d.milliseconds)) }
        for (key, ms) in durations where ms > maxDurationMs {
            throw ConfigurationError(
                key: key, message: "\(EventDuration(milliseconds: ms)) is longer than the 3660d Vigil allows",
                fix: "use a duration of at most a few years")
        }
        try checkGrid(cellSize: engine.grid.cellSize, bounds: engine.grid.bounds)
        let shutdownLimit = 25_000
        guard config.pipeline.shutdownTimeoutMs <= shutdownLimit else {
            throw ConfigurationError(
                key: "pipeline.shutdown_timeout",
                message: "must be at most 25s, inside the unit's TimeoutStopSec=30 with margin for the final commit and leaving the group",
                fix: "e.g. \"20s\"")
        }
    }

    /// The fix these keys give when their text is not a duration.
    private static let durationFix = "write a duration like \"5m\" or \"1h\""
}
