extension VigilConfiguration {
    /// Checks that tie the operations settings to the rest: secrets only from files, no
    /// property set twice, a CAP topic that cannot loop.
    static func checkOperations(kafka: Kafka, topics: Topics, capTopic: String) throws(ConfigurationError) {
        for (section, props) in [("kafka.consumer", kafka.consumer), ("kafka.producer", kafka.producer)] {
            for name in props.keys.sorted() where isSecret(name) {
                throw ConfigurationError(
                    key: "\(section).\(name)", message: "secrets may not be written in the configuration",
                    fix: "use kafka.sasl_password_file / kafka.ssl_key_password_file (a file or a systemd credential)")
            }
            for name in KafkaSecuritySettings.managedProperties where props[name] != nil {
                throw ConfigurationError(
                    key: "\(section).\(name)", message: "is set by Vigil's [kafka] security settings",
                    fix:
                        "remove it and use kafka.\(name.replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "mechanisms", with: "mechanism"))"
                )
            }
        }
        guard !capTopic.isEmpty else { return }
        guard isValidTopic(capTopic) else {
            throw ConfigurationError(
                key: "topics.cap", message: "'\(capTopic)' is not a valid Kafka topic name",
                fix: "use 1–249 characters from [a-zA-Z0-9._-], or \"\" to turn CAP off")
        }
        for (key, other) in [("topics.incidents", topics.incidents), ("topics.alerts", topics.alerts)] where other == capTopic {
            throw ConfigurationError(key: "topics.cap", message: "must differ from \(key)", fix: "give CAP its own topic")
        }
    }
}
