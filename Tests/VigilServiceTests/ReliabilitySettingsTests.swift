import Testing

@testable import VigilService

/// Configuration bounds (issue 12): hostile values stop startup with the key named (exit 78).
@Suite("Reliability settings and configuration bounds")
struct ReliabilitySettingsTests {
    func error(_ toml: String) -> ConfigurationError? {
        do {
            _ = try VigilConfiguration.parse(toml: toml, environment: [:])
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsAreSafe() throws {
        let config = try VigilConfiguration.parse(toml: "", environment: [:])
        #expect(config.reliability.replicationFactor == -1, "the broker's default, never 1 replica with acks=all")
        #expect(config.reliability.clockSkewMs < config.engine.allowedLateness.milliseconds)
        #expect(config.reliability.deadLetterMaxBytes == 262_144)
    }

    @Test(arguments: [
        ("[input]\nclock_skew = \"2h\"", "input.clock_skew"),
        ("[input]\nmax_future = \"400d\"", "input.max_future"),
        ("[input]\ndead_letter_max_bytes = 2000000", "input.dead_letter_max_bytes"),
        ("[pipeline]\nmax_in_flight = 5", "pipeline.max_in_flight"),
        ("[pipeline]\nshutdown_timeout = \"60s\"", "pipeline.shutdown_timeout"),
        ("[kafka]\nreplication_factor = 0", "kafka.replication_factor"),
        ("[rules.count]\ncooldown = \"100000000d\"", "rules.count.cooldown"),
        ("[hotspots]\nclose_after = \"99999999d\"", "hotspots.close_after"),
        ("[grid]\ncell_size_m = 10.0\nbbox = [-60.0, -170.0, 80.0, 170.0]", "grid.bbox")
    ])
    func hostileValuesNameTheirKey(toml: String, key: String) {
        let e = error(toml)
        #expect(e?.key == key, "\(toml): \(e.map { "\($0)" } ?? "accepted")")
    }

    @Test func theProducerLimitRaisesTheDeadLetterCeiling() {
        #expect(error("[input]\ndead_letter_max_bytes = 2000000\n[kafka.producer]\n\"message.max.bytes\" = \"4000000\"") == nil)
    }
}
