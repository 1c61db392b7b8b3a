/// A message to produce. Owned bytes, so it can be kept and re-sent after a failed delivery.
public struct OutgoingMessage: Sendable, Equatable {
    public var topic: String
    /// nil lets librdkafka's partitioner choose from the key.
    public var partition: Int32?
    public var key: [UInt8]?
    /// nil produces a tombstone.
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch; nil lets librdkafka stamp the send time.
    public var timestamp: Int64?

    public init(
        topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?,
        headers: [KafkaHeader] = [], timestamp: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }
}

/// The broker's verdict on one produced message, matched to it by `opaque`.
public struct DeliveryReport: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// The value passed to `send`; Vigil uses it as a ticket into its acknowledgement tracker.
    public var opaque: UInt64
    /// nil when the message is durably on the broker (as far as `acks` demands).
    public var error: KafkaError?

    public init(topic: String, partition: Int32, offset: Int64, opaque: UInt64, error: KafkaError? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.opaque = opaque
        self.error = error
    }
}
