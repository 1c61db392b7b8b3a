import ArgumentParser
import Foundation
import VigilCore

/// `vigil public export`: replays files through the releaser and writes every scheduled release
/// whose period ended before the last incident.
struct PublicExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Release DP counts from incident files (Toronto CSV or NDJSON) as CSV or JSON lines.",
        discussion: """
            Uses [public] from --config (domain, schedule, ε, post-processing). Each run draws fresh noise and so spends \
            the budget again unless --state names the ledger of earlier runs (then released periods are never re-released).
            """)

    @Option(name: .shortAndLong, help: "Input file; repeat for several.")
    var input: [String]

    @Option(name: .shortAndLong, help: "Configuration file ([grid] bbox and [public]). Default: built-in defaults.")
    var config: String?

    @Option(help: "Public neighbourhood names, one per line (added to public.neighbourhoods).")
    var neighbourhoods: String?

    @Option(help: "csv or json (one release per line).")
    var format: String = "csv"

    @Option(help: "Only this stream (and only its budget), e.g. neighbourhood_category/week.")
    var stream: String?

    @Option(name: .shortAndLong, help: "Output file (default: standard output).")
    var output: String?

    @Option(help: "Ledger file: restored before and saved after, so repeated exports never spend twice.")
    var state: String?

    func run() throws {
        let settings = try ConfigurationExit.orExit { () throws -> VigilConfiguration in
            var loaded = try ConfigurationExit.configuration(at: config)
            if let neighbourhoods {
                guard let text = try? String(contentsOfFile: neighbourhoods, encoding: .utf8) else {
                    throw ConfigurationError(
                        key: "--neighbourhoods", message: "cannot read '\(neighbourhoods)'", fix: "one public neighbourhood name per line")
                }
                loaded.publicFeed.neighbourhoods += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
            }
            guard ["csv", "json"].contains(format) else {
                throw ConfigurationError(key: "--format", message: "'\(format)' is not a format", fix: "use csv or json")
            }
            return loaded
        }
        var files = try IncidentFiles.load(input, decoder: settings.decoder)
        files.incidents.sort { ($0.eventTime, $0.id) < ($1.eventTime, $1.id) }
        let domain = settings.publicFeed.domain(bounds: settings.engine.grid.bounds)
        let saved = try state.flatMap { try PublicStateFile.load(path: $0) }
        var release = settings.publicFeed.releaseConfiguration()
        if let stream {
            release.streams = release.streams.filter { $0.name == stream }
            guard !release.streams.isEmpty else {
                throw ValidationError(
                    "--stream '\(stream)' is not one of neighbourhood_category/day, neighbourhood_category/week, cell_category/day, cell_category/week"
                )
            }
        }
        var releaser = PublicReleaser(configuration: release, domain: domain, restoring: saved)
        for incident in files.incidents { releaser.record(incident) }
        var random = SystemRandomBits()
        let actions = releaser.advance(to: files.incidents.last?.eventTime ?? Timestamp(milliseconds: 0), using: &random)
        if let state { try PublicStateFile.save(releaser.state, path: state) }

        let out = try OutputFile(path: output)
        if format == "csv" { out.writeLine(Array(PublicReleaseFormat.csvHeader.utf8)) }
        var released = 0
        for action in actions {
            switch action {
            case .publish(let release):
                released += 1
                if format == "json" {
                    out.writeLine(PublicReleaseFormat.json(release))
                } else {
                    for row in PublicReleaseFormat.csvRows(release) { out.writeLine(Array(row.utf8)) }
                }
            case .exhausted(let name, let needed, let remaining):
                FileHandle.standardError.write(
                    Data(
                        "vigil public: \(name): budget exhausted (next epoch needs ε \(PrivacyAccountant.format(micros: needed)), \(PrivacyAccountant.format(micros: max(0, remaining))) left); release stopped\n"
                            .utf8))
            }
        }
        out.close()
        FileHandle.standardError.write(
            Data(
                "vigil public: \(files.incidents.count) incidents, \(released) releases, ε spent \(PrivacyAccountant.format(micros: releaser.state.accountant.spentMicros)) of \(PrivacyAccountant.format(micros: releaser.state.accountant.totalMicros)); \(releaser.lateIncidents) incidents after their period was released\n"
                    .utf8))
    }
}
