extension VigilConfiguration {
    /// `[kafka]` and its librdkafka tables: where the brokers are and who Vigil is to them.
    struct Kafka {
        var bootstrapServers = "127.0.0.1:9092"
        var groupID = "vigil"
        var clientID = "vigil"
        /// Create the output topics at startup when they are missing.
        var createTopics = true
        var topicPartitions = 6
        /// Passed verbatim to librdkafka (consumer / producer).
        var consumer: [String: String] = [:]
        var producer: [String: String] = [:]

        static func read(_ r: inout ConfigReader) throws(ConfigurationError) -> Kafka {
            var k = Kafka()
            k.bootstrapServers = try r.string("kafka.bootstrap_servers", default: k.bootstrapServers)
            k.groupID = try r.string("kafka.group_id", default: k.groupID)
            k.clientID = try r.string("kafka.client_id", default: k.clientID)
            k.createTopics = try r.bool("kafka.create_topics", default: k.createTopics)
            k.topicPartitions = try r.int("kafka.topic_partitions", default: k.topicPartitions)
            k.consumer = try r.properties("kafka.consumer")
            k.producer = try r.properties("kafka.producer")
            try require(!k.bootstrapServers.isEmpty, "kafka.bootstrap_servers", "must not be empty", "e.g. \"broker1:9092,broker2:9092\"")
            try require(!k.groupID.isEmpty, "kafka.group_id", "must not be empty", "name the consumer group, e.g. \"vigil\"")
            try require(k.topicPartitions >= 1, "kafka.topic_partitions", "must be at least 1", nil)
            for (section, props) in [("kafka.consumer", k.consumer), ("kafka.producer", k.producer)] {
                for managed in ["bootstrap.servers", "group.id", "enable.auto.offset.store"]
                where props[managed] != nil && !(section == "kafka.producer" && managed == "bootstrap.servers") {
                    throw ConfigurationError(
                        key: "\(section).\(managed)", message: "is managed by Vigil",
                        fix: "remove it; set kafka.bootstrap_servers / kafka.group_id instead")
                }
            }
            return k
        }
    }
}
