import ArgumentParser

/// `vigil public`: the differentially private open-data release from incident files, for
/// open-data portals (CSV or JSON), under the `[public]` settings; `sample` draws raw noise for
/// the independent checks in tools/public.
struct PublicCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "public",
        abstract: "Differentially private public aggregates (docs/PRIVACY.md).",
        subcommands: [PublicExportCommand.self, PublicSampleCommand.self],
        defaultSubcommand: PublicExportCommand.self)
}
