import CRdKafka

/// A consumed message, borrowed from librdkafka for the duration of a `poll` callback.
///
/// `key`, `value` and header values point into librdkafka's buffer and are valid only inside the
/// callback: copy what you keep (`KafkaMessage(self)`). A `nil` value is a tombstone: data, not an error.
public struct KafkaRecord {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    /// Milliseconds since the epoch (CreateTime or LogAppendTime), nil when the broker sent none.
    public let timestamp: Int64?
    public let key: UnsafeRawBufferPointer?
    public let value: UnsafeRawBufferPointer?
    let native: UnsafeMutablePointer<rd_kafka_message_t>

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }

    /// Copies the message's headers (name, value); a header with a NULL value has `nil`.
    public func headers() -> [KafkaHeader] {
        var headers: OpaquePointer?
        guard rd_kafka_message_headers(native, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return [] }
        var result: [KafkaHeader] = []
        var index = 0
        while true {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            guard rd_kafka_header_get_all(headers, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR,
                let name
            else { break }
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
            result.append(KafkaHeader(String(cString: name), bytes))
            index += 1
        }
        return result
    }
}

/// A message header; Kafka allows repeated names and NULL values.
public struct KafkaHeader: Sendable, Equatable {
    public var name: String
    public var value: [UInt8]?

    public init(_ name: String, _ value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ text: String) {
        self.init(name, Array(text.utf8))
    }

    public var stringValue: String? { value.map { String(decoding: $0, as: UTF8.self) } }
}

/// An owned copy of a consumed message, safe to keep and to send across threads.
public struct KafkaMessage: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestamp: Int64?
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [KafkaHeader]

    public init(
        topic: String, partition: Int32, offset: Int64, timestamp: Int64? = nil, key: [UInt8]? = nil,
        value: [UInt8]?, headers: [KafkaHeader] = []
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }

    public init(_ record: KafkaRecord) {
        topic = record.topic
        partition = record.partition
        offset = record.offset
        timestamp = record.timestamp
        key = record.key.map { Array($0) }
        value = record.value.map { Array($0) }
        headers = record.headers()
    }

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }

    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }
    public var valueString: String? { value.map { String(decoding: $0, as: UTF8.self) } }
    public func header(_ name: String) -> String? { headers.last { $0.name == name }?.stringValue }
}
