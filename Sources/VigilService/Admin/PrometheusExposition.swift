import Foundation
import VigilCore
import VigilKafka

/// Renders an `OperationsSnapshot` in the Prometheus text exposition format, version 0.0.4:
/// `# HELP` and `# TYPE` once per family, counters ending in `_total`, label values escaped.
struct PrometheusExposition {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private var out = ""

    static func render(
        _ s: OperationsSnapshot, startTime: Double, librdkafka: String = LibrdkafkaVersion.string,
        vigil: String = VigilVersion.string, stages: [String: StageBoard.Counters] = [:]
    ) -> String {
        var p = PrometheusExposition()
        let st = s.statistics
        p.single("vigil_messages_consumed_total", "counter", "Messages read from the incidents topic.", st.consumed)
        p.single("vigil_incidents_decoded_total", "counter", "Messages decoded into valid incidents.", st.decoded)
        p.family("vigil_dead_letters_total", "counter", "Undecodable or invalid messages sent to the dead-letter topic, by reason.")
        for reason in st.deadLetteredByReason.keys.sorted() {
            p.sample("vigil_dead_letters_total", [("reason", reason)], st.deadLetteredByReason[reason]!)
        }
        p.single("vigil_late_incidents_total", "counter", "Incidents behind their partition's watermark, sent to the late topic.", st.late)
        p.family(
            "vigil_alerts_total", "counter", "Alerts published, by kind (the main pipeline's and the tile layout's lifecycle stage's).")
        for (i, kind) in Alert.Kind.allCases.enumerated() {
            // The tile layout's cluster alerts are published by its lifecycle stage, not the pipeline.
            let staged = stages.values.reduce(0) { $0 + ($1.alerts.indices.contains(i) ? $1.alerts[i] : 0) }
            p.sample("vigil_alerts_total", [("kind", kind.rawValue)], st.alertsByKind[i] + staged)
        }
        p.single(
            "vigil_delivery_failures_total", "counter", "Failed deliveries to Kafka (each is retried; offsets are held back).",
            st.deliveryFailures)
        p.single("vigil_consumer_errors_total", "counter", "Errors reported by the Kafka consumer.", st.consumerErrors)
        p.single(
            "vigil_replayed_records_total", "counter", "Records applied silently while rebuilding assigned partitions' state by replay.",
            st.replayed)
        p.single(
            "vigil_replay_skipped_records_total", "counter",
            "Records read while rebuilding but not applied (before the rewind cutoff, or fetched before the rewind).", st.replaySkipped)
        p.single(
            "vigil_partition_rebuilds_total", "counter",
            "Partitions whose state was rebuilt by replay (assignments with a committed offset).", st.rebuilds)
        p.single(
            "vigil_producer_restarts_total", "counter",
            "Producer instances replaced because the broker stopped accepting one (fenced after a stall).", st.producerRestarts)
        // Reliability (docs/RELIABILITY.md, fault matrix).
        p.single(
            "vigil_incidents_held_ahead_total", "counter",
            "Incidents stamped further ahead of the server clock than input.clock_skew, held until the clock reaches them.", st.heldAhead)
        p.single("vigil_incidents_held_released_total", "counter", "Held incidents processed once the clock reached them.", st.heldReleased)
        p.single(
            "vigil_reread_skipped_total", "counter", "Records skipped because the fetch position moved backwards (already processed).",
            st.rereadSkipped)
        p.single(
            "vigil_backpressure_pauses_total", "counter",
            "Times fetching paused because pipeline.max_in_flight outputs were unacknowledged.", st.backpressurePauses)
        p.family(
            "vigil_delivery_given_up_total", "counter",
            "Outputs Vigil stopped trying to deliver (per-message error, or retriable past pipeline.delivery_timeout), by kind.")
        for kind in st.deliveryGivenUp.keys.sorted() {
            p.sample("vigil_delivery_given_up_total", [("kind", kind)], st.deliveryGivenUp[kind]!)
        }
        p.family(
            "vigil_recovery_anomalies_total", "counter",
            "Assignments whose committed offset was outside the log (beyond its end, before its start), by kind.")
        for kind in st.recoveryAnomalies.keys.sorted() {
            p.sample("vigil_recovery_anomalies_total", [("kind", kind)], st.recoveryAnomalies[kind]!)
        }
        p.single(
            "vigil_recovery_retries_total", "counter", "Broker calls at assignment that failed and were retried with back-off.",
            st.recoveryRetries)

        p.family(
            "vigil_batch_processing_seconds", "histogram",
            "Time from the first message of a polled batch until its outputs are sent (pipelined engines) or its loop iteration ends.")
        let cumulative = s.batchLatency.cumulative
        for (i, bound) in LatencyHistogram.bounds.enumerated() {
            p.sample("vigil_batch_processing_seconds_bucket", [("le", Self.number(bound))], cumulative[i])
        }
        p.sample("vigil_batch_processing_seconds_bucket", [("le", "+Inf")], s.batchLatency.count)
        p.sample("vigil_batch_processing_seconds_sum", [], s.batchLatency.sum)
        p.sample("vigil_batch_processing_seconds_count", [], s.batchLatency.count)

        p.single("vigil_partitions_assigned", "gauge", "Input partitions this instance owns.", s.partitions.count)
        p.family("vigil_partition_rebuilding", "gauge", "1 while a partition's state is rebuilt by replay, else 0.")
        for part in s.partitions { p.sample("vigil_partition_rebuilding", labels(part.topicPartition), part.rebuilding ? 1 : 0) }
        p.family("vigil_partition_newest_event_time_seconds", "gauge", "Newest event time seen per partition (Unix seconds).")
        for part in s.partitions {
            if let t = part.newestEventTime {
                p.sample("vigil_partition_newest_event_time_seconds", labels(part.topicPartition), Double(t.milliseconds) / 1000)
            }
        }
        p.family("vigil_consumer_lag", "gauge", "Messages behind the partition's high watermark (absent when librdkafka does not know it).")
        for part in s.partitions {
            if let lag = part.lag { p.sample("vigil_consumer_lag", labels(part.topicPartition), Int(lag)) }
        }
        p.single("vigil_state_keys", "gauge", "Window keys held in state, all partitions.", s.keys)
        p.single(
            "vigil_state_cap_hits_total", "counter", "Incidents whose key was not tracked because state.max_keys was reached.", s.capHits)
        p.single("vigil_state_keys_expired_total", "counter", "Idle keys removed from state.", s.keysExpired)
        p.single("vigil_hotspots_open", "gauge", "Hotspots currently tracked (all partitions).", s.hotspots.count)
        p.single("vigil_broker_reachable", "gauge", "1 when the Kafka cluster is reachable, else 0.", s.brokerReachable ? 1 : 0)
        p.single("vigil_ready", "gauge", "1 when /readyz answers 200.", s.notReadyReason == nil ? 1 : 0)
        p.single(
            "vigil_consumer_group_unsettled_seconds", "gauge",
            "Seconds the consumer group membership has not been settled (0 while steady; not ready from 60).", s.groupUnsettledSeconds)
        p.family("vigil_config_reloads_total", "counter", "SIGHUP reloads, by result.")
        p.sample("vigil_config_reloads_total", [("result", "applied")], s.reloadsApplied)
        p.sample("vigil_config_reloads_total", [("result", "refused")], s.reloadsRefused)
        p.family("vigil_model_info", "gauge", "The risk model in use (version \"none\" when no model is loaded).")
        p.sample("vigil_model_info", [("version", s.modelVersion ?? "none")], 1)
        p.family("vigil_librdkafka_info", "gauge", "The librdkafka loaded at run time.")
        p.sample("vigil_librdkafka_info", [("version", librdkafka)], 1)
        p.family("vigil_build_info", "gauge", "Vigil's version.")
        p.sample("vigil_build_info", [("version", vigil)], 1)
        let pub = PublicFeedBoard.shared.snapshot  // issue 15: the public feed, only when it is on
        if pub.enabled {
            p.single("vigil_public_releases_total", "counter", "Differentially private releases published on topics.public.", pub.releases)
            p.single(
                "vigil_public_budget_exhausted_streams", "gauge", "Public streams stopped because the privacy budget is exhausted.",
                pub.exhaustedStreams)
            p.single("vigil_public_epsilon_spent", "gauge", "Privacy budget charged so far (ε).", Double(pub.spentMicros) / 1e6)
            p.single("vigil_public_epsilon_total", "gauge", "Lifetime privacy budget (ε).", Double(pub.totalMicros) / 1e6)
            p.single(
                "vigil_public_late_incidents_total", "counter", "Incidents whose period had already been released (not counted).",
                pub.lateIncidents)
            p.single("vigil_public_publish_failures_total", "counter", "Public releases the broker did not accept.", pub.publishFailures)
        }
        if !stages.isEmpty {  // issue 18: the tile layout's stages, only when it is on
            let names = stages.keys.sorted()
            let families: [(String, String, String, KeyPath<StageBoard.Counters, Int>)] = [
                ("vigil_stage_records_total", "counter", "Records a stage applied live (router, scan, lifecycle).", \.live),
                (
                    "vigil_stage_rebuilt_records_total", "counter", "Records a stage re-applied silently to rebuild assigned partitions.",
                    \.rebuilt
                ),
                ("vigil_stage_messages_sent_total", "counter", "Messages a stage sent (routed messages, findings, alerts).", \.sent),
                (
                    "vigil_stage_malformed_total", "counter",
                    "Internal messages a stage could not use: unreadable (dead-lettered) or contradicting the layout.", \.malformed
                ),
                ("vigil_stage_partitions", "gauge", "Partitions of its input a stage owns in this instance.", \.partitions),
                (
                    "vigil_stage_partitions_rebuilding", "gauge", "Owned partitions still rebuilding (not yet at their committed offset).",
                    \.rebuilding
                ),
                (
                    "vigil_stage_group_unsettled_seconds", "gauge",
                    "Seconds the stage's consumer group membership has not been settled (0 while steady; not ready from 60).",
                    \.unsettledSeconds
                )
            ]
            for (name, type, help, field) in families {
                p.family(name, type, help)
                for stage in names { p.sample(name, [("stage", stage)], stages[stage]![keyPath: field]) }
            }
        }
        p.single("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.", startTime)
        return p.out
    }

    private static func labels(_ tp: TopicPartition) -> [(String, String)] {
        [("topic", tp.topic), ("partition", String(tp.partition))]
    }

    private mutating func family(_ name: String, _ type: String, _ help: String) {
        out += "# HELP \(name) \(help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n"))\n"
        out += "# TYPE \(name) \(type)\n"
    }

    /// A family with one unlabelled sample.
    private mutating func single(_ name: String, _ type: String, _ help: String, _ value: Int) {
        family(name, type, help)
        sample(name, [], value)
    }

    private mutating func single(_ name: String, _ type: String, _ help: String, _ value: Double) {
        family(name, type, help)
        sample(name, [], value)
    }

    private mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Int) {
        line(name, labels, String(value))
    }

    private mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        line(name, labels, Self.number(value))
    }

    private mutating func line(_ name: String, _ labels: [(String, String)], _ value: String) {
        out += name
        if !labels.isEmpty {
            out += "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
        }
        out += " \(value)\n"
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Go-style float text: integers without a fraction, NaN/Inf spelled as Prometheus expects.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
