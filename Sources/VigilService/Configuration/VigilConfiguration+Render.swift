import Foundation
import VigilCore

extension VigilConfiguration {
    /// The effective configuration as TOML, secrets masked, for `vigil check-config` (and, with
    /// `masked: false`, for the reload diff; secret *contents* are never part of either).
    func renderEffective(masked: Bool = true) -> String {
        func q(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        func props(_ p: [String: String]) -> String {
            p.keys.sorted().map { "\(q($0)) = \(masked && VigilConfiguration.isSecret($0) ? q("***") : q(p[$0]!))" }.joined(separator: "\n")
        }
        let b = engine.grid.bounds
        var lines = [
            "[kafka]",
            "bootstrap_servers = \(q(kafka.bootstrapServers))",
            "group_id = \(q(kafka.groupID))",
            "client_id = \(q(kafka.clientID))",
            "create_topics = \(kafka.createTopics)",
            "topic_partitions = \(kafka.topicPartitions)", "replication_factor = \(reliability.replicationFactor)",
            "security_protocol = \(q(security.securityProtocol ?? ""))", "sasl_mechanism = \(q(security.saslMechanism ?? ""))",
            "sasl_username = \(q(security.saslUsername ?? ""))", "sasl_password_file = \(q(security.saslPasswordFile ?? ""))",
            "ssl_ca_location = \(q(security.sslCALocation ?? ""))",
            "ssl_certificate_location = \(q(security.sslCertificateLocation ?? ""))",
            "ssl_key_location = \(q(security.sslKeyLocation ?? ""))", "ssl_key_password_file = \(q(security.sslKeyPasswordFile ?? ""))",
            "", "[kafka.consumer]", props(kafka.consumer),
            "", "[kafka.producer]", props(kafka.producer),
            "", "[topics]",
            "incidents = \(q(topics.incidents))", "alerts = \(q(topics.alerts))",
            "dead_letter = \(q(topics.deadLetter))", "late = \(q(topics.late))", "cap = \(q(topics.cap ?? ""))",
            "", "[input]", "max_message_bytes = \(decoder.maxMessageBytes)",
            "max_future = \(q(EventDuration(milliseconds: pipeline.maxFutureMs).description))",
            "clock_skew = \(q(EventDuration(milliseconds: reliability.clockSkewMs).description))", "max_held = \(reliability.maxHeld)",
            "dead_letter_max_bytes = \(reliability.deadLetterMaxBytes)",
            "", "[grid]", "cell_size_m = \(engine.grid.cellSize)", "bbox = [\(b.south), \(b.west), \(b.north), \(b.east)]",
            "", "[time]", "allowed_lateness = \(q(engine.allowedLateness.description))",
            "", "[rules.count]", "enabled = \(engine.countRule != nil)"
        ]
        if let rule = engine.countRule {
            lines += [
                "window = \(q(rule.window.description))", "resolution = \(q(rule.resolution.description))",
                "threshold = \(rule.threshold)", "cooldown = \(q(rule.cooldown.description))"
            ]
        }
        lines += ["", "[windows]", "horizons = [\(engine.windows.map { q($0.description) }.joined(separator: ", "))]"]
        lines += ["", "[rules.surge]", "enabled = \(engine.surgeRule != nil)"]
        if let s = engine.surgeRule {
            lines += [
                "window = \(q(s.window.description))", "trailing_weeks = \(s.trailingWeeks)", "minimum_count = \(s.minimumCount)",
                "minimum_expected = \(s.minimumExpected)", "p_value = \(s.pValue)", "cooldown = \(q(s.cooldown.description))"
            ]
        }
        lines += ["", "[hotspots]", "enabled = \(engine.hotspots != nil)"]
        if let h = engine.hotspots {
            lines += [
                "window = \(q(h.window.description))", "evaluate_every = \(q(h.evaluateEvery.description))",
                "z_threshold = \(h.zThreshold)", "minimum_local_count = \(h.minimumLocalCount)",
                "minimum_cells = \(h.minimumCells)", "minimum_persistence = \(h.minimumPersistence)", "growth_factor = \(h.growthFactor)",
                "close_after = \(q(h.closeAfter.description))"
            ]
        }
        lines += [
            "", "[alerts]", "kinds = [\((engine.alertKinds.map { $0.map(\.rawValue).sorted() } ?? ["all"]).map(q).joined(separator: ", "))]"
        ]
        if let c = engine.clusters ?? stagedClusters {
            func hours(_ h: Int) -> String { q(EventDuration.hours(Int64(h)).description) }
            lines += [
                "min_recurrence = \(q(EventDuration(milliseconds: Int64((c.minRecurrenceDays * 86_400_000).rounded())).description))"
            ]
            lines += [
                "", "[clusters]", "enabled = true", "max_radius_m = \(c.maxRadiusMetres)",
                "durations = [\(c.durationsHours.map(hours).joined(separator: ", "))]", "minimum_observed = \(c.minimumObserved)",
                "repeat_window = \(hours(c.repeatWindowHours))", "prior_per_cell_year = \(c.priorPerCellYear)"
            ]
            lines += ScanFamily.allCases.map { "\($0.key) = [\(c.calibrations[$0.rawValue].a), \(c.calibrations[$0.rawValue].b)]" }
            lines += [
                "long_from = \(hours(c.longFromHours))", "minimum_baseline_weeks = \(c.minimumBaselineWeeks)",
                "growth_factor = \(c.growthFactor)"
            ]
        } else {
            lines += ["", "[clusters]", "enabled = false"]
        }
        lines += [
            "", "[scale_out]", "enabled = \(scaleOut.enabled)", "partitions = \(scaleOut.partitions)", "tile_cells = \(scaleOut.tileCells)",
            "scan_threads = \(scaleOut.scanThreads)",
            "routed_topic = \(q(scaleOut.routedTopic))", "findings_topic = \(q(scaleOut.findingsTopic))"
        ]
        lines += ["", "[model]", "path = \(q(model.path ?? ""))", "threshold = \(model.threshold)", "top_features = \(model.topFeatures)"]
        if let risk = engine.risk {
            lines += ["# loaded: \(risk.model.kind) \(risk.version) (\(risk.hash)), \(risk.layout.count) features"]
        }
        lines += [
            "", "[state]", "max_keys = \(engine.maxKeys)",
            "", "[log]", "level = \(q(log.level))", "format = \(q(log.format.rawValue))",
            "", "[pipeline]", "max_batch = \(pipeline.maxBatch)",
            "worker_threads = \(pipeline.workerThreads)",
            "shutdown_timeout = \(q(EventDuration(milliseconds: Int64(pipeline.shutdownTimeoutMs)).description))",
            "max_in_flight = \(reliability.maxInFlight)",
            "delivery_timeout = \(q(EventDuration(milliseconds: reliability.deliveryTimeoutMs).description))",
            "", "[recovery]",
            "rewind = \(q(recovery.renderedRewind))  # \(recovery.depth(for: engine).map { "rebuilds \(EventDuration(milliseconds: $0))" } ?? "rebuilds the whole partition")"
        ]
        let page = operations.page
        lines += [
            "", "[admin]", "listen = \(q(operations.admin.listen))", "page = \(page.enabled)",
            "auth_file = \(q(page.authFile))\(page.credentials.map { "  # \($0.count) accounts" } ?? "")",
            "tile_url = \(q(page.tileURL))", "tile_attribution = \(q(page.tileAttribution))",
            "events_max_clients = \(page.maxEventClients)", "events_ring = \(page.eventRing)", "page_incidents = \(page.incidentRing)",
            "", "[cap]", "sender = \(q(operations.cap.sender))", "status = \(q(operations.cap.status))",
            "scope = \(q(operations.cap.scope))"
        ]
        if !environmentKeys.isEmpty {
            lines += ["", "# overridden from the environment: \(environmentKeys.sorted().joined(separator: ", "))"]
        }
        return lines.joined(separator: "\n")
    }
}

extension VigilConfiguration.Recovery {
    var renderedRewind: String {
        switch rewind {
        case .auto: return "auto"
        case .all: return "all"
        case .duration(let d): return d.description
        }
    }
}
