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
        ("[rules.surge]\nenabled = false\n", "rules.surge.enabled"),
        // The scan's shape restarts (its significance applies live, below).
        ("[clusters]\ndurations = [\"1h\", \"24h\"]\n", "clusters.durations"),
        ("[clusters]\nlong_from = \"12h\"\n", "clusters.long_from"),
        ("[clusters]\nmax_radius_m = 500\n", "clusters.max_radius_m"),
        ("[clusters]\nrepeat_window = \"24h\"\n", "clusters.repeat_window"),
        ("[clusters]\nenabled = false\n", "clusters.enabled")
    ])
    func structuralChangesAreRefusedByName(extra: String, key: String) throws {
        guard case .refuse(let keys) = try plan(Self.base + "\n" + extra) else {
            Issue.record("expected a refusal for \(key)")
            return
        }
        #expect(keys.contains(key))
    }

    /// The scan's significance and the published kinds apply live (a reload that changed only
    /// them used to report "unchanged" and keep the old values).
    @Test func clusterSignificanceAppliesLive() throws {
        let live =
            Self.base
            + "\n[alerts]\nmin_recurrence = \"730d\"\nkinds = [\"cluster_emerging\", \"hotspot_opened\", \"high_risk\"]\n"
            + "[clusters]\ncalibration_all_long = [-3.9, 0.41]\n"
        #expect(
            try plan(live) == .apply(changed: ["alerts.kinds", "alerts.min_recurrence", "clusters.calibration_all_long"]))
    }

    /// Count and surge alerts cite their window's incidents, recorded only while they are
    /// published: starting to publish them restarts (the rebuild records the citations); ceasing
    /// to publish them applies live.
    @Test(arguments: ["count_threshold", "surge", "all"])
    func publishingCountOrSurgeAlertsAgainRestarts(kind: String) throws {
        guard case .refuse(let keys) = try plan(Self.base + "\n[alerts]\nkinds = [\"cluster_emerging\", \"\(kind)\"]\n") else {
            Issue.record("expected a refusal for publishing \(kind)")
            return
        }
        #expect(keys == ["alerts.kinds"])
        let old = try VigilConfiguration.parse(toml: Self.base + "\n[alerts]\nkinds = [\"all\"]\n", environment: [:])
        let new = try VigilConfiguration.parse(toml: Self.base + "\n[alerts]\nkinds = [\"cluster_emerging\"]\n", environment: [:])
        #expect(ConfigReloadPlan(old: old, new: new).decision == .apply(changed: ["alerts.kinds"]))
    }

    /// What the reload compares is what `check-config` prints: every `[clusters]` key is there and
    /// reads back to the same configuration.
    @Test func theRenderedClusterSettingsReadBack() throws {
        let text = Self.base + "\n[alerts]\nmin_recurrence = \"100d\"\n[clusters]\ncalibration = [-3.5, 0.31]\nrepeat_window = \"2h\"\n"
        let config = try VigilConfiguration.parse(toml: text, environment: [:])
        let rendered = config.renderEffective(masked: false)
        for key in ["calibration", "calibration_long", "calibration_all", "calibration_all_long", "long_from", "durations", "repeat_window"]
        {
            #expect(rendered.contains("\n\(key) = "), "\(key) is rendered")
        }
        let again = try VigilConfiguration.parse(toml: rendered, environment: [:])
        #expect(again.engine.clusters == config.engine.clusters)
        #expect(again.engine.alertKinds == config.engine.alertKinds)
    }

    /// With the tile layout running, the stages took the scan's settings at startup: a reload that
    /// changes them (or which cluster kinds are published) is refused by name instead of reaching the
    /// main pipeline only; the main pipeline's own live keys still apply. Both sides are compared as
    /// the daemon holds them (`mainPipeline()`: the scan moved to the stages).
    @Test func withTheTileLayoutTheScansKeysRestart() throws {
        let layout = Self.base + "\n[scale_out]\nenabled = true\n"
        func decision(_ newText: String) throws -> ConfigReloadPlan.Decision {
            let old = try VigilConfiguration.parse(toml: layout, environment: [:]).mainPipeline()
            let new = try VigilConfiguration.parse(toml: newText, environment: [:]).mainPipeline()
            return ConfigReloadPlan(old: old, new: new).decision
        }
        #expect(try decision(layout) == .unchanged, "the same file is unchanged, scan and all")
        #expect(
            try decision(layout + "[alerts]\nmin_recurrence = \"730d\"\n[clusters]\ncalibration = [-3.5, 0.31]\n")
                == .refuse(structural: ["alerts.min_recurrence", "clusters.calibration"]))
        #expect(try decision(layout + "[alerts]\nkinds = [\"cluster_emerging\"]\n") == .refuse(structural: ["alerts.kinds"]))
        #expect(
            try decision(layout.replacingOccurrences(of: "threshold = 4", with: "threshold = 6"))
                == .apply(changed: ["rules.count.threshold"]))
        let allKinds = layout + "[alerts]\nkinds = [\"all\"]\n"
        let old = try VigilConfiguration.parse(toml: allKinds, environment: [:]).mainPipeline()
        let new = try VigilConfiguration.parse(
            toml: layout + "[alerts]\nkinds = [\"cluster_emerging\", \"cluster_grew\", \"cluster_ended\"]\n", environment: [:]
        ).mainPipeline()
        #expect(
            ConfigReloadPlan(old: old, new: new).decision == .apply(changed: ["alerts.kinds"]),
            "dropping the main pipeline's kinds applies live: the cluster kinds are unchanged")
    }

    @Test func aStructuralChangeRefusesTheLiveOnesWithIt() throws {
        let text = Self.base.replacingOccurrences(of: "group_id = \"g\"", with: "group_id = \"h\"")
            .replacingOccurrences(of: "threshold = 4", with: "threshold = 6")
        #expect(try plan(text) == .refuse(structural: ["kafka.group_id"]))
    }
}
