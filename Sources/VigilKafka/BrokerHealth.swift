/// Whether the client can reach its cluster, as far as librdkafka's error events tell.
///
/// librdkafka reports `_ALL_BROKERS_DOWN` (and authentication or TLS failures) through its error
/// callback but never announces recovery, so Vigil marks the cluster reachable again when data
/// flows (a fetched message) or the group hands out partitions.
public struct BrokerHealth: Sendable, Equatable {
    public var reachable: Bool
    /// Why it is unreachable (librdkafka's error name and text).
    public var reason: String?

    public init(reachable: Bool = true, reason: String? = nil) {
        self.reachable = reachable
        self.reason = reason
    }
}
