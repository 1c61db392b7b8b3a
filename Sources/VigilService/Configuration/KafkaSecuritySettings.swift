import Foundation

/// `[kafka]` TLS and SASL settings, mapped onto librdkafka's properties for every client.
///
/// Secrets are read from files only: an absolute path, or a name relative to systemd's
/// `$CREDENTIALS_DIRECTORY` (`LoadCredential=`). They never come from the command line, never
/// from the passthrough tables, and are never rendered or logged.
struct KafkaSecuritySettings: Sendable, Equatable {
    static let protocols = ["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"]
    static let mechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

    var securityProtocol: String?
    var saslMechanism: String?
    var saslUsername: String?
    var saslPasswordFile: String?
    var sslCALocation: String?
    var sslCertificateLocation: String?
    var sslKeyLocation: String?
    var sslKeyPasswordFile: String?
    /// Where the two secret files are (absolute, or inside `$CREDENTIALS_DIRECTORY`), resolved
    /// when the configuration is parsed; read by `loadingFiles()`.
    var saslPasswordPath: String?
    var sslKeyPasswordPath: String?
    /// Read from the files above by `loadingFiles()`, at startup; excluded from rendering.
    var saslPassword: String?
    var sslKeyPassword: String?

    /// The librdkafka properties these settings stand for (secrets included: for librdkafka only).
    var librdkafkaProperties: [String: String] {
        var p: [String: String] = [:]
        p["security.protocol"] = securityProtocol
        p["sasl.mechanism"] = saslMechanism
        p["sasl.username"] = saslUsername
        p["sasl.password"] = saslPassword
        p["ssl.ca.location"] = sslCALocation
        p["ssl.certificate.location"] = sslCertificateLocation
        p["ssl.key.location"] = sslKeyLocation
        p["ssl.key.password"] = sslKeyPassword
        return p
    }

    /// librdkafka properties these settings own: setting them in a passthrough table too is an error.
    static let managedProperties = [
        "security.protocol", "sasl.mechanism", "sasl.mechanisms", "sasl.username",
        "ssl.ca.location", "ssl.certificate.location", "ssl.key.location"
    ]

    static func read(_ r: inout ConfigReader, environment: [String: String]) throws(ConfigurationError) -> KafkaSecuritySettings {
        func optional(_ key: String) throws(ConfigurationError) -> String? {
            let value = try r.optionalString(key)
            return value?.isEmpty == true ? nil : value
        }
        var s = KafkaSecuritySettings()
        s.securityProtocol = try optional("kafka.security_protocol")?.lowercased()
        s.saslMechanism = try optional("kafka.sasl_mechanism")?.uppercased()
        s.saslUsername = try optional("kafka.sasl_username")
        s.saslPasswordFile = try optional("kafka.sasl_password_file")
        s.sslCALocation = try optional("kafka.ssl_ca_location")
        s.sslCertificateLocation = try optional("kafka.ssl_certificate_location")
        s.sslKeyLocation = try optional("kafka.ssl_key_location")
        s.sslKeyPasswordFile = try optional("kafka.ssl_key_password_file")

        let proto = s.securityProtocol ?? "plaintext"
        guard protocols.contains(proto) else {
            throw ConfigurationError(
                key: "kafka.security_protocol", message: "'\(proto)' is not a security protocol",
                fix: "use one of \(protocols.joined(separator: ", "))")
        }
        let sasl = proto.hasPrefix("sasl_")
        let tls = proto.hasSuffix("ssl")
        if sasl {
            guard let mechanism = s.saslMechanism else {
                throw ConfigurationError(
                    key: "kafka.sasl_mechanism", message: "is required with security_protocol = \"\(proto)\"",
                    fix: "set it to one of \(mechanisms.joined(separator: ", "))")
            }
            guard mechanisms.contains(mechanism) else {
                throw ConfigurationError(
                    key: "kafka.sasl_mechanism", message: "'\(mechanism)' is not supported",
                    fix: "use one of \(mechanisms.joined(separator: ", "))")
            }
            guard s.saslUsername != nil else {
                throw ConfigurationError(key: "kafka.sasl_username", message: "is required with SASL", fix: "set the SASL user name")
            }
            guard s.saslPasswordFile != nil else {
                throw ConfigurationError(
                    key: "kafka.sasl_password_file", message: "is required with SASL",
                    fix: "point it at a file holding the password, or at a systemd credential name (LoadCredential=)")
            }
        } else {
            for (key, value) in [
                ("kafka.sasl_mechanism", s.saslMechanism), ("kafka.sasl_username", s.saslUsername),
                ("kafka.sasl_password_file", s.saslPasswordFile)
            ] where value != nil {
                throw ConfigurationError(
                    key: key, message: "has no effect with security_protocol = \"\(proto)\"",
                    fix: "set kafka.security_protocol to \"sasl_ssl\" (or \"sasl_plaintext\"), or remove it")
            }
        }
        if !tls {
            for (key, value) in [
                ("kafka.ssl_ca_location", s.sslCALocation), ("kafka.ssl_certificate_location", s.sslCertificateLocation),
                ("kafka.ssl_key_location", s.sslKeyLocation), ("kafka.ssl_key_password_file", s.sslKeyPasswordFile)
            ] where value != nil {
                throw ConfigurationError(
                    key: key, message: "has no effect with security_protocol = \"\(proto)\"",
                    fix: "set kafka.security_protocol to \"ssl\" or \"sasl_ssl\", or remove it")
            }
        }
        if (s.sslCertificateLocation == nil) != (s.sslKeyLocation == nil) {
            throw ConfigurationError(
                key: s.sslKeyLocation == nil ? "kafka.ssl_key_location" : "kafka.ssl_certificate_location",
                message: "a client certificate needs both ssl_certificate_location and ssl_key_location", fix: "set both, or neither")
        }
        if s.sslKeyPasswordFile != nil && s.sslKeyLocation == nil {
            throw ConfigurationError(
                key: "kafka.ssl_key_password_file", message: "is set without kafka.ssl_key_location",
                fix: "set the key location too, or remove it")
        }
        let credentials = environment["CREDENTIALS_DIRECTORY"]
        if let path = s.sslCALocation { s.sslCALocation = try resolve(path, key: "kafka.ssl_ca_location", credentials: credentials) }
        if let path = s.sslCertificateLocation {
            s.sslCertificateLocation = try resolve(path, key: "kafka.ssl_certificate_location", credentials: credentials)
        }
        if let path = s.sslKeyLocation { s.sslKeyLocation = try resolve(path, key: "kafka.ssl_key_location", credentials: credentials) }
        if let file = s.saslPasswordFile {
            s.saslPasswordPath = try resolve(file, key: "kafka.sasl_password_file", credentials: credentials)
        }
        if let file = s.sslKeyPasswordFile {
            s.sslKeyPasswordPath = try resolve(file, key: "kafka.ssl_key_password_file", credentials: credentials)
        }
        return s
    }

    /// These settings with the TLS files checked readable and the secrets read: the startup
    /// step after parsing (`VigilConfiguration.loadingFiles()`), so that parsing reads no file.
    func loadingFiles() throws(ConfigurationError) -> KafkaSecuritySettings {
        var s = self
        for (key, path) in [
            ("kafka.ssl_ca_location", sslCALocation), ("kafka.ssl_certificate_location", sslCertificateLocation),
            ("kafka.ssl_key_location", sslKeyLocation)
        ] {
            guard let path else { continue }
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ConfigurationError(
                    key: key, message: "'\(path)' is not a readable file", fix: "check the path and that the service user may read it")
            }
        }
        if let path = saslPasswordPath { s.saslPassword = try Self.secret(at: path, key: "kafka.sasl_password_file") }
        if let path = sslKeyPasswordPath { s.sslKeyPassword = try Self.secret(at: path, key: "kafka.ssl_key_password_file") }
        return s
    }

    /// An absolute path as is; a relative one inside `$CREDENTIALS_DIRECTORY`.
    static func resolve(_ path: String, key: String, credentials: String?) throws(ConfigurationError) -> String {
        if path.hasPrefix("/") { return path }
        guard let credentials, !credentials.isEmpty else {
            throw ConfigurationError(
                key: key, message: "'\(path)' is relative but CREDENTIALS_DIRECTORY is not set",
                fix: "give an absolute path, or run under systemd with LoadCredential=\(path):/path/to/file")
        }
        guard !path.contains("/") else {
            throw ConfigurationError(
                key: key, message: "'\(path)' is not a credential name",
                fix: "a credential name has no '/'; give an absolute path otherwise")
        }
        return credentials + "/" + path
    }

    /// The file's content without its trailing newline; errors never include the content.
    static func secret(at resolved: String, key: String) throws(ConfigurationError) -> String {
        guard let data = FileManager.default.contents(atPath: resolved) else {
            throw ConfigurationError(
                key: key, message: "cannot read '\(resolved)'", fix: "check the path and that the service user may read it")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(key: key, message: "'\(resolved)' is not UTF-8 text", fix: "store the secret as text")
        }
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        guard !text.isEmpty else {
            throw ConfigurationError(key: key, message: "'\(resolved)' is empty", fix: "write the secret into the file")
        }
        return text
    }
}
