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

    private func progress(_ text: String) {
        FileHandle.standardError.write(Data("vigil replay: \(text)\n".utf8))
    }
}
