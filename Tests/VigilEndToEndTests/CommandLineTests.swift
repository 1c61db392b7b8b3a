import Foundation
import Testing

@Suite("vigil command line")
struct CommandLineTests {
    func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let child = try ChildProcess(E2E.binary, arguments)
        child.process.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.2)
        return (child.process.terminationStatus, child.output.joined(separator: "\n"), child.errorOutput)
    }

    @Test func helpListsTheSubcommands() throws {
        let result = try run(["--help"])
        #expect(result.status == 0)
        for sub in ["run", "check-config", "version"] { #expect(result.out.contains(sub)) }
    }

    @Test(arguments: [
        ("[rules.count]\nwindw = \"1h\"\n", "rules.count.windw"),
        ("[rules.count]\nwindow = \"soon\"\n", "rules.count.window"),
        ("[rules.count]\nwindow = \"90m\"\nresolution = \"1h\"\n", "rules.count.window"),
        ("[grid]\nbbox = [1, 2, 3]\n", "grid.bbox"),
        ("[kafka]\nbootstrap_servers = 9092\n", "kafka.bootstrap_servers"),
        ("[topics]\nalerts = \"bad topic!\"\n", "topics.alerts"),
        ("[log]\nlevel = \"loud\"\n", "log.level"),
        ("[kafka.consumer]\n\"group.id\" = \"x\"\n", "kafka.consumer.group.id"),
        ("[recovery]\nrewind = \"soon\"\n", "recovery.rewind"),
        ("[recovery]\nrewind = \"1d\"\n", "recovery.rewind"),
        ("this is not toml = = =", "TOML syntax error"),
        ("[model]\npath = \"/nonexistent/model.json\"\n", "model.path"),
        ("[model]\nthreshold = 1.5\n", "model.threshold"),
        ("[model]\npath = \"/etc/hostname\"\n", "model.path")
    ])
    func aBrokenConfigStopsStartupNamingTheKey(config: String, key: String) throws {
        let path = try E2E.writeConfig(config)
        let result = try run(["run", "--config", path])
        #expect(result.status != 0)
        #expect(result.err.contains(key), "stderr names \(key): \(result.err)")
    }

    @Test func checkConfigPrintsTheEffectiveConfigWithoutSecrets() throws {
        let secret = try E2E.writeConfig("hunter2\n")  // any file will do as a password file
        let path = try E2E.writeConfig(
            """
            [kafka]
            security_protocol = "sasl_plaintext"
            sasl_mechanism = "SCRAM-SHA-256"
            sasl_username = "vigil"
            sasl_password_file = "\(secret)"
            [kafka.producer]
            "linger.ms" = 5
            """)
        let result = try run(["check-config", "--config", path])
        #expect(result.status == 0, "\(result.err)")
        #expect(!result.out.contains("hunter2"))
        #expect(result.out.contains("sasl_password_file = \"\(secret)\""))
        #expect(result.out.contains("\"linger.ms\" = \"5\""))
        #expect(result.out.contains("threshold = 4"))
    }

    @Test func aSecretWrittenInTheConfigIsRefusedWithoutEchoingIt() throws {
        let path = try E2E.writeConfig("[kafka.producer]\n\"sasl.password\" = \"hunter2\"\n")
        let result = try run(["check-config", "--config", path])
        #expect(result.status == 78)
        #expect(result.err.contains("kafka.producer.sasl.password") && result.err.contains("sasl_password_file"))
        #expect(!result.err.contains("hunter2") && !result.out.contains("hunter2"))
    }

    @Test func theShippedConfigIsValid() throws {
        let result = try run(["check-config", "--config", E2E.repoRoot.appendingPathComponent("Config/vigil.toml").path])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("# loaded: xgboost near-repeat-250m-72h"), "the shipped model loads: \(result.out)")
    }

    @Test func aModelTrainedForOtherFeaturesIsRejectedNamingTheMismatch() throws {
        // The shipped model expects surge features; without the surge rule they are not computed.
        let model = E2E.repoRoot.appendingPathComponent("Config/models/near-repeat-xgboost.json").path
        let path = try E2E.writeConfig("[rules.surge]\nenabled = false\n[model]\npath = \"\(model)\"\n")
        let result = try run(["check-config", "--config", path])
        #expect(result.status != 0)
        #expect(result.err.contains("model.path") && result.err.contains("feature_mismatch"), "\(result.err)")
    }
}
