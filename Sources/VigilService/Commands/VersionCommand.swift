import ArgumentParser
import VigilKafka

/// Prints Vigil's version and the librdkafka actually loaded.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print versions of Vigil and the loaded librdkafka.")

    func run() {
        print("vigil \(VigilVersion.string)")
        print("librdkafka \(LibrdkafkaVersion.string)\(LibrdkafkaVersion.isBelowRecommended ? " (below 2.1: upgrade recommended)" : "")")
    }
}
