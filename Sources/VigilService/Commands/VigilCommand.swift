import ArgumentParser

/// `vigil`: real-time public-safety incident analytics.
public struct VigilCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Real-time incident analytics: consumes incidents from Kafka, publishes alerts.",
        version: VigilVersion.string,
        subcommands: [
            RunCommand.self, ReplayCommand.self, FeaturesCommand.self, ScoreCommand.self, CheckConfigCommand.self, PublicCommand.self,
            VersionCommand.self
        ])

    public init() {}
}

enum VigilVersion {
    static let string = "0.1.0"
}
