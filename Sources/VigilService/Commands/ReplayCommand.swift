import ArgumentParser
import Foundation
import VigilCore

/// `vigil replay`: the backtesting tool. Runs the same engine as `vigil run` over incident files
/// in event-time order and writes the alerts it would have raised, deterministically.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay incident files (Toronto CSV layout or canonical NDJSON) through the engine; write alerts as NDJSON.",
        discussion: """
            Incidents are sorted by (event time, id) unless --keep-order is given, then processed by one engine \
            (one partition). Alerts are written without detected_at, so two replays of the same input are byte-identical. \
            A summary goes to stderr (and to --summary as JSON).
            """)

    @Option(name: .shortAndLong, help: "Input file; repeat for several (CSV in the Toronto MCI layout, or NDJSON).")
    var input: [String]

    @Option(name: .shortAndLong, help: "Configuration file (engine sections are used; Kafka is not). Default: built-in defaults.")
    var config: String?

    @Option(name: .shortAndLong, help: "Write alerts here as NDJSON (default: standard output).")
    var output: String?

    @Flag(help: "Skip the closing hotspot evaluation over what was read, as the daemon does (it never sees an end).")
    var noFinalEvaluation = false

    @Option(help: "Write the summary as JSON to this file.")
    var summary: String?

    @Flag(help: "Process in file order instead of event-time order (exercises the lateness path).")
    var keepOrder = false

    @Option(help: "Sample this many incidents and record their window counts (all families and horizons).")
    var probes: Int = 0

    @Option(help: "Seed for --probes sampling.")
    var probeSeed: UInt64 = 1

    @Option(help: "Write probe records (NDJSON) here.")
    var probeOutput: String?

    @Option(help: "Write the final hotspot evaluation (Gi* hot cells, hotspots) as JSON here.")
    var hotspotsOutput: String?

    @Option(
        help: "Write every cylinder of every N-th cluster-scan evaluation (see --cluster-probe-every) as NDJSON here, for the offline twin."
    )
    var clusterProbes: String?

    @Option(help: "With --cluster-probes: record one evaluation in this many.")
    var clusterProbeEvery: Int = 1

    @Option(
        help: ArgumentHelp(
            "Run the emerging-cluster scan scaled out over this many partitions by 2 km tile (router, halo copies, one lifecycle) and write its cluster alerts; the other rules do not run.",
            valueName: "partitions"))
    var scaleOut: Int?

    @Option(help: "With --scale-out: tiles of this many grid cells on a side (8: 2 km at 250 m).")
    var tileCells: Int32 = 8

    @Flag(name: .shortAndLong, help: "No progress lines.")
    var quiet = false

    func run() throws {
        let settings = try ConfigurationExit.load(config)
        let started = Date()
        var files = try IncidentFiles.load(input, decoder: settings.decoder)
        if !keepOrder {
            files.incidents.sort { ($0.eventTime, $0.id) < ($1.eventTime, $1.id) }
        }
        let loadSeconds = Date().timeIntervalSince(started)
        let incidents = files.incidents
        if !quiet {
            progress(
                "loaded \(incidents.count) incidents (\(files.rejected.values.reduce(0, +)) rejected) in \(String(format: "%.1f", loadSeconds)) s"
            )
        }

        if let scaleOut {
            try replayScaledOut(incidents, partitions: scaleOut, settings: settings)
            return
        }

        let outputs = ReplayDriver.Outputs(
            alerts: try OutputFile(path: output),
            probes: try probeOutput.map { try OutputFile(path: $0) },
            probeIndices: ProbeSample.indices(probes, of: incidents.count, seed: probeSeed),
            clusterProbes: try clusterProbes.map { try OutputFile(path: $0) })
        var driver = ReplayDriver(configuration: settings.engine, outputs: outputs, clusterProbeEvery: clusterProbeEvery)
        let engineStart = Date()
        driver.replay(incidents, progress: quiet ? nil : { text in progress(text) })
        if !noFinalEvaluation { driver.finish() }
        driver.close()
        let engineSeconds = Date().timeIntervalSince(engineStart)

        if let hotspotsOutput, let snapshot = driver.engine.hotspotSnapshot {
            let file = try OutputFile(path: hotspotsOutput)
            file.writeLine(HotspotSnapshotJSON.encode(snapshot, engine: settings.engine))
            file.close()
        }

        let summary = ReplaySummary(
            incidents: incidents, rejected: files.rejected, alertsByKind: driver.alertsByKind,
            loadSeconds: loadSeconds, engineSeconds: engineSeconds
        ).json(engine: driver.engine)
        FileHandle.standardError.write(Data(summary + [0x0A]))
        if let summaryPath = self.summary { try Data(summary + [0x0A]).write(to: URL(fileURLWithPath: summaryPath)) }
        for example in files.rejectExamples where !quiet { progress("rejected: \(example)") }
    }

    /// `--scale-out`: the cluster alerts of `partitions` partitions (`PartitionedClusters`), and a
    /// summary of what each partition received.
    private func replayScaledOut(_ incidents: [Incident], partitions: Int, settings: VigilConfiguration) throws {
        guard partitions >= 1 else { throw ValidationError("--scale-out must be at least 1") }
        guard tileCells >= 1 else { throw ValidationError("--tile-cells must be at least 1") }
        guard settings.engine.clusters != nil else {
            throw ValidationError("--scale-out needs the cluster scan on ([clusters] enabled = true)")
        }
        let alerts = try OutputFile(path: output)
        var city = PartitionedClusters(configuration: settings.engine, partitions: partitions, tileCells: tileCells)
        var byKind: [String: Int] = [:]
        let kinds = settings.engine.alertKinds
        for incident in incidents {
            for alert in city.process(incident) where kinds?.contains(alert.kind) ?? true {
                byKind[alert.kind.rawValue, default: 0] += 1
                alerts.writeLine(AlertJSON.encode(alert, detectedAt: nil))
            }
        }
        alerts.close()
        let received = city.received.map { "{\"owned\":\($0.owned),\"halo\":\($0.halo)}" }.joined(separator: ",")
        let kindsJSON = byKind.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
        let summary =
            "{\"incidents\":\(incidents.count),\"late\":\(city.late),\"alerts_by_kind\":{\(kindsJSON)},\"partitions\":[\(received)]}"
        FileHandle.standardError.write(Data((summary + "\n").utf8))
        if let summaryPath = self.summary { try Data((summary + "\n").utf8).write(to: URL(fileURLWithPath: summaryPath)) }
    }

    private func progress(_ text: String) {
        FileHandle.standardError.write(Data("vigil replay: \(text)\n".utf8))
    }
}
