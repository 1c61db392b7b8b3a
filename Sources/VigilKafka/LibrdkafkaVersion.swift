import CRdKafka

/// The librdkafka that is actually loaded at run time (which may differ from the headers Vigil
/// was built against: Debian 12 ships 2.0.2 headers, deployments load a newer library).
public enum LibrdkafkaVersion {
    /// e.g. "2.16.0".
    public static var string: String { String(cString: rd_kafka_version_str()) }

    /// librdkafka's hex version, 0xMMmmrrxx.
    public static var number: Int32 { rd_kafka_version() }

    /// Oldest version known to work with current brokers: 2.0.x mis-parses tagged fields in
    /// ApiVersion responses from some KIP-511 brokers ("Read underflow").
    public static let minimumRecommended: Int32 = 0x0201_0000

    public static var isBelowRecommended: Bool { number < minimumRecommended }
}
