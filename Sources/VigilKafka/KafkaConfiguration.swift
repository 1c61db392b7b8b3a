import CRdKafka

/// librdkafka properties, passed through verbatim (see librdkafka's CONFIGURATION.md).
///
/// Vigil does not wrap librdkafka's hundreds of settings: anything an operator sets in the config
/// file reaches librdkafka unchanged, and librdkafka's own validation names the bad property.
public struct KafkaConfiguration: Sendable, Equatable {
    public var properties: [String: String]

    public init(_ properties: [String: String] = [:]) {
        self.properties = properties
    }

    public subscript(key: String) -> String? {
        get { properties[key] }
        set { properties[key] = newValue }
    }

    /// Returns a copy where `defaults` fill in keys the operator did not set.
    public func withDefaults(_ defaults: [String: String]) -> KafkaConfiguration {
        KafkaConfiguration(properties.merging(defaults) { mine, _ in mine })
    }

    /// Builds an `rd_kafka_conf_t`; the caller owns it (pass it to `rd_kafka_new` or destroy it).
    /// Properties are applied in sorted order so errors are reported deterministically.
    func makeNativeConf() throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        for key in properties.keys.sorted() {
            let value = properties[key]!
            let result = rd_kafka_conf_set(conf, key, value, &errstr, errstr.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let text = textFromBuffer(errstr)
                throw .configuration("librdkafka property '\(key)': \(text)")
            }
        }
        return conf
    }
}
