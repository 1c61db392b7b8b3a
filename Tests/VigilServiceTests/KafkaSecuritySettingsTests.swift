import Foundation
import Testing

@testable import VigilService

@Suite("Kafka TLS and SASL settings")
struct KafkaSecuritySettingsTests {
    static func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-sec-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func saslScramOverTLSMapsToLibrdkafkaWithThePasswordFromACredential() throws {
        let creds = try Self.directory()
        try "s3cret-value\n".write(to: creds.appendingPathComponent("kafka-pw"), atomically: true, encoding: .utf8)
        let ca = creds.appendingPathComponent("ca.pem")
        try "x".write(to: ca, atomically: true, encoding: .utf8)
        let config = try VigilConfiguration.parse(
            toml: """
                [kafka]
                security_protocol = "SASL_SSL"
                sasl_mechanism = "scram-sha-512"
                sasl_username = "vigil"
                sasl_password_file = "kafka-pw"
                ssl_ca_location = "\(ca.path)"
                """, environment: ["CREDENTIALS_DIRECTORY": creds.path]
        ).loadingFiles()
        for props in [config.consumerProperties, config.producerProperties] {
            #expect(props["security.protocol"] == "sasl_ssl")
            #expect(props["sasl.mechanism"] == "SCRAM-SHA-512")
            #expect(props["sasl.username"] == "vigil")
            #expect(props["sasl.password"] == "s3cret-value")
            #expect(props["ssl.ca.location"] == ca.path)
        }
        let rendered = config.renderEffective()
        #expect(!rendered.contains("s3cret"), "check-config never prints a secret")
        #expect(rendered.contains("sasl_password_file = \"kafka-pw\""))
    }

    @Test(arguments: [
        ("[kafka]\nsecurity_protocol = \"sasl_ssl\"\n", "kafka.sasl_mechanism"),
        (
            "[kafka]\nsecurity_protocol = \"sasl_ssl\"\nsasl_mechanism = \"GSSAPI\"\nsasl_username = \"u\"\nsasl_password_file = \"/x\"\n",
            "kafka.sasl_mechanism"
        ),
        (
            "[kafka]\nsecurity_protocol = \"sasl_plaintext\"\nsasl_mechanism = \"PLAIN\"\nsasl_password_file = \"/x\"\n",
            "kafka.sasl_username"
        ),
        ("[kafka]\nsecurity_protocol = \"tls\"\n", "kafka.security_protocol"),
        ("[kafka]\nsasl_username = \"u\"\n", "kafka.sasl_username"),
        ("[kafka]\nssl_ca_location = \"/etc/ssl/ca.pem\"\n", "kafka.ssl_ca_location"),
        (
            "[kafka]\nsecurity_protocol = \"sasl_ssl\"\nsasl_mechanism = \"PLAIN\"\nsasl_username = \"u\"\nsasl_password_file = \"relative-name\"\n",
            "kafka.sasl_password_file"
        ),
        (
            "[kafka]\nsecurity_protocol = \"sasl_ssl\"\nsasl_mechanism = \"PLAIN\"\nsasl_username = \"u\"\nsasl_password_file = \"/nonexistent/pw\"\n",
            "kafka.sasl_password_file"
        ),
        ("[kafka.consumer]\n\"sasl.password\" = \"plain-text\"\n", "kafka.consumer.sasl.password"),
        ("[kafka.producer]\n\"security.protocol\" = \"ssl\"\n", "kafka.producer.security.protocol")
    ])
    func mistakesNameTheKey(toml: String, key: String) {
        #expect {
            _ = try VigilConfiguration.parse(toml: toml, environment: [:]).loadingFiles()
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.key == key && error.fix != nil && !error.description.contains("plain-text")
        }
    }
}
