import ArgumentParser
import Foundation

/// Validates a configuration file and prints the effective settings, secrets masked.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file and print the effective configuration (secrets masked).")

    @Option(name: .shortAndLong, help: "Path to the TOML configuration file.")
    var config: String

    func run() throws {
        let loaded = try ConfigurationExit.load(config)
        print(loaded.renderEffective())
        print(loaded.publicFeed.guaranteeText())
    }
}
