import Foundation
import Testing

@testable import VigilService

/// Issue 17: parsing reads no file a setting names; `loadingFiles()` reads them all at startup
/// and names the key of the first one that cannot be read.
@Suite("Configuration: parsing reads no file, loadingFiles() reads them")
struct ConfigurationLoadingTests {
    static let missing = "/nonexistent/vigil-\(UUID().uuidString)"

    @Test(arguments: [
        (
            "[kafka]\nsecurity_protocol = \"sasl_ssl\"\nsasl_mechanism = \"PLAIN\"\nsasl_username = \"u\"\nsasl_password_file = \"\(missing)\"\n",
            "kafka.sasl_password_file"
        ),
        ("[kafka]\nsecurity_protocol = \"ssl\"\nssl_ca_location = \"\(missing)\"\n", "kafka.ssl_ca_location"),
        ("[topics]\npublic = \"open.data\"\n[public]\nneighbourhoods_file = \"\(missing)\"\n", "public.neighbourhoods_file"),
        ("[model]\npath = \"\(missing)\"\n", "model.path")
    ])
    func aMissingFileIsNotReadByParsingButNamedByLoading(_ toml: String, _ key: String) throws {
        let parsed = try VigilConfiguration.parse(toml: toml + "[admin]\nlisten = \"\"\n", environment: [:])
        do {
            _ = try parsed.loadingFiles()
            Issue.record("\(key): a missing file must stop loading")
        } catch {
            #expect(error.key == key)
        }
    }

    @Test func theNeighbourhoodFileIsReadAtLoadingAndCheckedAsADomain() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-nb-\(UUID().uuidString).txt")
        try "Annex\nMoss Park\n\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let toml = "[topics]\npublic = \"open.data\"\n[public]\nneighbourhoods_file = \"\(file.path)\"\n[admin]\nlisten = \"\"\n"
        let parsed = try VigilConfiguration.parse(toml: toml, environment: [:])
        #expect(parsed.publicFeed.neighbourhoods.isEmpty, "not read by parsing")
        #expect(try parsed.loadingFiles().publicFeed.neighbourhoods == ["Annex", "Moss Park"])
        let twice =
            "[topics]\npublic = \"open.data\"\n[public]\nneighbourhoods = [\"Annex\"]\nneighbourhoods_file = \"\(file.path)\"\n[admin]\nlisten = \"\"\n"
        #expect(throws: ConfigurationError.self) { try VigilConfiguration.parse(toml: twice, environment: [:]).loadingFiles() }
    }
}
