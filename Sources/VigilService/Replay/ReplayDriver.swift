import Foundation
import VigilCore

/// The loop of `vigil replay`: feeds incidents, in the order given, to one engine (one
/// partition) and writes what it produces: alerts without `detected_at` (so two replays of the
/// same input are byte-identical), sampled window counts and cluster-scan probes.
struct ReplayDriver {
    /// Where the outputs go; only `alerts` is required.
    struct Outputs {
        var alerts: OutputFile
        var probes: OutputFile?
        /// Indices (in replay order) of the incidents whose window counts `probes` records.
        var probeIndices: Set<Int> = []
        var clusterProbes: OutputFile?
    }

    private(set) var engine: IncidentEngine
    private(set) var alertsByKind: [String: Int] = [:]
    private let outputs: Outputs
    /// Incidents handed to the engine at a time when nothing is probed.
    static let chunk = 4096

    /// `clusterProbeEvery`: with `outputs.clusterProbes`, record one scan evaluation in this many.
    init(configuration: EngineConfiguration, outputs: Outputs, clusterProbeEvery: Int) {
        engine = IncidentEngine(configuration: configuration)
        self.outputs = outputs
        if outputs.clusterProbes != nil { engine.recordClusterProbes(every: max(1, clusterProbeEvery)) }
    }

    /// Processes every incident; `progress`, when given, hears about it every few seconds.
    mutating func replay(_ incidents: [Incident], progress: ((String) -> Void)?) {
        var lastProgress = Date()
        let engineStart = Date()
        if outputs.probes == nil, outputs.clusterProbes == nil {
            // No per-incident probe reads the engine between incidents: chunks go through
            // `process(batch:_:)`, which scores them eight at a time where it can.
            var chunk: [Incident] = []
            chunk.reserveCapacity(Self.chunk)
            var written = self.alertsByKind
            let file = outputs.alerts
            for start in stride(from: 0, to: incidents.count, by: Self.chunk) {
                chunk.removeAll(keepingCapacity: true)
                chunk.append(contentsOf: incidents[start..<min(start + Self.chunk, incidents.count)])
                engine.process(batch: &chunk) { _, decision, _ in
                    if case .accepted(let alerts) = decision { Self.write(alerts, to: file, counting: &written) }
                }
                if let progress, Date().timeIntervalSince(lastProgress) >= 2 {
                    lastProgress = Date()
                    progress(
                        Self.progressLine(
                            done: start + chunk.count, of: incidents.count, at: chunk[chunk.count - 1].eventTime, alerts: written,
                            since: engineStart))
                }
            }
            alertsByKind = written
            return
        }
        for (index, incident) in incidents.enumerated() {
            switch engine.process(incident) {
            case .accepted(let alerts): emit(alerts)
            case .late: break
            }
            if let clusterProbes = outputs.clusterProbes {
                for probe in engine.drainClusterProbes() { clusterProbes.writeLine(ClusterProbeRecord.encode(probe)) }
            }
            if outputs.probeIndices.contains(index), let probes = outputs.probes {
                probes.writeLine(WindowCountProbe.record(index: index, incident: incident, counts: engine.windowCounts(for: incident)))
            }
            if let progress, index & 0x3FFF == 0, Date().timeIntervalSince(lastProgress) >= 2 {
                lastProgress = Date()
                progress(
                    Self.progressLine(done: index, of: incidents.count, at: incident.eventTime, alerts: alertsByKind, since: engineStart))
            }
        }
    }

    /// The closing hotspot evaluation over what was read (the daemon never sees an end).
    mutating func finish() {
        emit(engine.finish())
    }

    /// Flushes and closes every output.
    func close() {
        outputs.alerts.close()
        outputs.probes?.close()
        outputs.clusterProbes?.close()
    }

    private mutating func emit(_ alerts: [Alert]) {
        Self.write(alerts, to: outputs.alerts, counting: &alertsByKind)
    }

    /// Writes `alerts` (without `detected_at`) and counts them by kind.
    private static func write(_ alerts: [Alert], to file: OutputFile, counting byKind: inout [String: Int]) {
        for alert in alerts {
            byKind[alert.kind.rawValue, default: 0] += 1
            file.writeLine(AlertJSON.encode(alert, detectedAt: nil))
        }
    }

    /// The progress line after `done` of `total` incidents.
    private static func progressLine(done: Int, of total: Int, at time: Timestamp, alerts: [String: Int], since start: Date) -> String {
        let rate = Double(done) / Date().timeIntervalSince(start)
        return "replayed \(done)/\(total) incidents, event time \(time), \(alerts.values.reduce(0, +)) alerts, \(Int(rate)) incidents/s"
    }
}
