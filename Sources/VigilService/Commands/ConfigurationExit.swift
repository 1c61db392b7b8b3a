import ArgumentParser
import Foundation

/// How every command stops on bad configuration: the error, naming the key and the fix, on stderr
/// as `vigil: …`, and exit status 78 (EX_CONFIG), which systemd's `Restart=on-failure` does not
/// spin on. One place, so that `run`, `check-config`, `replay`, `features` and `public` agree.
enum ConfigurationExit {
    /// The configuration file at `path` with environment overrides and the files it names read, or the
    /// built-in defaults (no environment, no files) when there is no file.
    static func configuration(at path: String?) throws(ConfigurationError) -> VigilConfiguration {
        guard let path else { return try VigilConfiguration.parse(toml: "", environment: [:]) }
        return try VigilConfiguration.load(path: path, environment: ProcessInfo.processInfo.environment).loadingFiles()
    }

    /// `configuration(at:)`, or exit 78.
    static func load(_ path: String?) throws -> VigilConfiguration {
        try orExit { try configuration(at: path) }
    }

    /// What `body` returns, or exit 78 with the error it threw.
    static func orExit<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            FileHandle.standardError.write(Data("vigil: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}
