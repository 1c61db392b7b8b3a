import Testing

@testable import VigilService

@Suite("SIGHUP reload decisions")
struct ConfigReloadPlanTests {
    static let base = """
        [kafka]
        bootstrap_servers = "b:9092"
        group_id = "g"
        [rules.count]
        threshold = 4
        [log]
        level = "info"
        """

    func plan(_ newText: String) throws -> ConfigReloadPlan.Decision {
        let old = try VigilConfiguration.parse(toml: Self.base, environment: [:])
        let new = try VigilConfiguration.parse(toml: newText, environment: [:])
        return ConfigReloadPlan(old: old, new: new).decision
    }

    @Test func anIdenticalFileChangesNothing() throws {
        #expect(try plan(Self.base) == .unchanged)
    }

    @Test func thresholdsAndLogLevelApplyLive() throws {
        let text =
            Self.base.replacingOccurrences(of: "threshold = 4", with: "threshold = 6")
            .replacingOccurrences(of: "level = \"info\"", with: "level = \"debug\"") + "\n[hotspots]\nz_threshold = 2.5\n"
        #expect(try plan(text) == .apply(changed: ["hotspots.z_threshold", "log.level", "rules.count.threshold"]))
    }

    @Test(arguments: [
        ("[grid]\ncell_size_m = 300\n", "grid.cell_size_m"),
        ("[windows]\nhorizons = [\"24h/1h\"]\n", "windows.horizons"),
        ("[time]\nallowed_lateness = \"2h\"\n", "time.allowed_lateness"),
        ("[admin]\nlisten = \"127.0.0.1:9999\"\n", "admin.listen"),
        ("[topics]\nalerts = \"other\"\n", "topics.alerts"),
        ("[rules.surge]\nenabled = false\n", "rules.surge.enabled")
    ])
    func structuralChangesAreRefusedByName(extra: String, key: String) throws {
        guard case .refuse(let keys) = try plan(Self.base + "\n" + extra) else {
            Issue.record("expected a refusal for \(key)")
            return
        }
        #expect(keys.contains(key))
    }

    @Test func aStructuralChangeRefusesTheLiveOnesWithIt() throws {
        let text = Self.base.replacingOccurrences(of: "group_id = \"g\"", with: "group_id = \"h\"")
            .replacingOccurrences(of: "threshold = 4", with: "threshold = 6")
        #expect(try plan(text) == .refuse(structural: ["kafka.group_id"]))
    }
}
