import ArgumentParser
import Foundation
import VigilCore

/// `vigil features`: the training set. Replays history through the engine in event-time order and
/// writes, per incident, the near-repeat feature vector the daemon computes at that instant (before
/// the incident counts) and the label: did another incident follow within the radius and horizon.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Replay incident files and write each incident's near-repeat features and label as CSV.",
        discussion: """
            Columns: id, event_time_ms, label, censored, cell_x, cell_y (grid cell), then the features (names as a model file must list them). \
            label = 1 when another incident (any category) happens within --radius metres and (t, t + --horizon]; \
            censored = 1 when t + horizon is past the last incident of the input (label unknown; drop it when training). \
            Features come only from incidents processed before; labels only from later ones. Missing values are "nan".
            """)

    @Option(name: .shortAndLong, help: "Input file; repeat for several (Toronto MCI CSV or NDJSON).")
    var input: [String]

    @Option(name: .shortAndLong, help: "Configuration file (its engine sections shape the features). Default: built-in defaults.")
    var config: String?

    @Option(name: .shortAndLong, help: "Write the CSV here (default: standard output).")
    var output: String?

    @Option(help: "Label radius in metres.")
    var radius: Double = 250

    @Option(help: "Label horizon (e.g. 72h).")
    var horizon: String = "72h"

    @Flag(name: .shortAndLong, help: "No progress lines.")
    var quiet = false

    func run() throws {
        guard let horizon = EventDuration.parse(horizon), horizon.milliseconds > 0 else {
            throw ValidationError("--horizon: '\(self.horizon)' is not a duration like 72h")
        }
        guard radius > 0 else { throw ValidationError("--radius must be positive") }
        var settings = try ConfigurationExit.load(config)
        settings.engine.risk = nil
        var files = try IncidentFiles.load(input, decoder: settings.decoder)
        files.incidents.sort { ($0.eventTime, $0.id) < ($1.eventTime, $1.id) }
        let incidents = files.incidents
        let labels = NearRepeatLabels.compute(incidents, grid: settings.engine.grid, radius: radius, horizon: horizon)
        let layout = NearRepeatFeatures(
            configuration: settings.engine,
            categories: Set(incidents.map(\.category)).sorted(),
            premises: Set(incidents.compactMap(\.premises)).sorted())
        if !quiet {
            progress(
                "\(incidents.count) incidents, \(layout.count) features, positive rate \(String(format: "%.4f", Double(labels.positives) / Double(max(1, incidents.count))))"
            )
        }

        let out = try OutputFile(path: output)
        out.writeLine(
            Array(
                (["id", "event_time_ms", "label", "censored", "cell_x", "cell_y"] + layout.names.map(Self.csvField)).joined(separator: ",")
                    .utf8))
        var engine = IncidentEngine(configuration: settings.engine)
        var features: [Double] = []
        var line: [UInt8] = []
        for (i, incident) in incidents.enumerated() {
            guard case .accepted = engine.process(incident, recording: layout, into: &features) else { continue }
            line.removeAll(keepingCapacity: true)
            line.append(contentsOf: Self.csvField(incident.id).utf8)
            let cell = settings.engine.grid.cell(latitude: incident.latitude, longitude: incident.longitude)
            line.append(
                contentsOf:
                    ",\(incident.eventTime.milliseconds),\(labels.label[i] ? 1 : 0),\(labels.censored[i] ? 1 : 0),\(cell.x),\(cell.y)".utf8)
            for v in features {
                line.append(0x2C)
                Self.append(v, to: &line)
            }
            out.writeLine(line)
        }
        out.close()
        if !quiet { progress("wrote \(engine.statistics.accepted) rows") }
    }

    /// Shortest text that parses back to the same Double (integers without ".0"); NaN as "nan".
    static func append(_ v: Double, to line: inout [UInt8]) {
        if v.isNaN {
            line.append(contentsOf: "nan".utf8)
            return
        }
        if v == v.rounded(), abs(v) < 1e15 {
            line.append(contentsOf: String(Int64(v)).utf8)
            return
        }
        line.append(contentsOf: v.description.utf8)
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    private func progress(_ text: String) {
        FileHandle.standardError.write(Data("vigil features: \(text)\n".utf8))
    }
}
