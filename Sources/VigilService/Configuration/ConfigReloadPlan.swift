import VigilCore

/// What a SIGHUP reload may do with a newly read configuration: a pure decision, so every
/// case is testable without signals or files.
///
/// Live keys change behaviour between two batches without touching state (thresholds,
/// cooldowns, significance, hotspot hysteresis, the scan's calibration and alerting level, which
/// alert kinds are published, the key cap, the log level). Everything else
/// (Kafka connection, group and topics, grid, windows, lateness, which rules exist, admin
/// listener, log format, CAP settings, TLS/SASL) shapes state or connections: such changes are
/// refused as a whole, naming the keys, and the running configuration stays.
/// With the tile layout running (`scale_out`), the scan's keys are the stages' and restart too
/// (`readByStages`).
struct ConfigReloadPlan: Equatable {
    enum Decision: Equatable {
        case unchanged
        /// Apply the new configuration; these live keys changed.
        case apply(changed: [String])
        /// Keep the old configuration: these structural keys changed (a restart applies them).
        case refuse(structural: [String])
    }

    /// Keys a running daemon takes over. The `[model]` section's path and threshold join this list
    /// when the risk model lands (its loader must then be re-run by the reload).
    static let liveKeys: Set<String> = [
        "rules.count.threshold", "rules.count.cooldown",
        "rules.surge.minimum_count", "rules.surge.minimum_expected", "rules.surge.p_value", "rules.surge.cooldown",
        "hotspots.z_threshold", "hotspots.minimum_local_count", "hotspots.minimum_cells", "hotspots.minimum_persistence",
        "hotspots.growth_factor", "hotspots.close_after",
        "state.max_keys", "log.level",
        "model.path", "model.threshold",
        // The scan's radius, durations and their split into families (`long_from`) shape its state,
        // and the repeat rule's memory follows its window: those restart. Its significance does not.
        "alerts.kinds", "alerts.min_recurrence",
        "clusters.minimum_observed", "clusters.prior_per_cell_year", "clusters.calibration", "clusters.calibration_long",
        "clusters.calibration_all", "clusters.calibration_all_long", "clusters.minimum_baseline_weeks", "clusters.growth_factor"
    ]

    let decision: Decision

    init(old: VigilConfiguration, new: VigilConfiguration) {
        let before = Self.flatten(old.renderEffective(masked: false))
        let after = Self.flatten(new.renderEffective(masked: false))
        let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
        // Secret file contents are not rendered: a changed password alone is a structural change.
        let secrets = old.security != new.security && changed.allSatisfy { !$0.hasPrefix("kafka.") } ? ["kafka (secret file contents)"] : []
        let staged = old.stagedClusters != nil || new.stagedClusters != nil
        let structural =
            changed.filter { !Self.liveKeys.contains($0) || (staged && Self.readByStages($0, old: old, new: new)) } + secrets
        if !structural.isEmpty {
            decision = .refuse(structural: structural)
        } else if changed.isEmpty {
            decision = .unchanged
        } else if !new.engine.isRuleUpdate(of: old.engine) {
            // Live keys whose new values the engine cannot take over in place: publishing count or
            // surge alerts again (`alerts.kinds`) needs the citations only a rebuild records.
            decision = .refuse(structural: changed)
        } else {
            decision = .apply(changed: changed)
        }
    }

    /// With the tile layout running, the scan's settings and the cluster kinds published belong to
    /// the stages, which took them at startup and rebuild from their topics with them: a live change
    /// would reach the main pipeline only, so it needs a restart, like any structural key.
    static func readByStages(_ key: String, old: VigilConfiguration, new: VigilConfiguration) -> Bool {
        if key.hasPrefix("clusters.") || key == "alerts.min_recurrence" { return true }
        guard key == "alerts.kinds" else { return false }
        func clusterKinds(_ c: VigilConfiguration) -> Set<Alert.Kind> {
            let cluster: Set<Alert.Kind> = [.clusterEmerging, .clusterGrew, .clusterEnded]
            return c.engine.alertKinds.map { $0.intersection(cluster) } ?? cluster
        }
        return clusterKinds(old) != clusterKinds(new)
    }

    /// `section.key = value` pairs of a rendered configuration (comments and blanks skipped).
    static func flatten(_ toml: String) -> [String: String] {
        var section = ""
        var out: [String: String] = [:]
        for raw in toml.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = raw.trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast())
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { continue }
            var key = String(line[..<eq].trimmingSpaces)
            if key.hasPrefix("\"") && key.hasSuffix("\"") && key.count >= 2 { key = String(key.dropFirst().dropLast()) }
            out[section.isEmpty ? key : "\(section).\(key)"] = String(line[line.index(after: eq)...].trimmingSpaces)
        }
        return out
    }
}
