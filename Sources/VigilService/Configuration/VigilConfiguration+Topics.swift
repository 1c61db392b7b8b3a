extension VigilConfiguration {
    /// `[topics]`: what Vigil reads and where each kind of output goes.
    struct Topics {
        var incidents = "incidents"
        var alerts = "vigil.alerts"
        var deadLetter = defaultDeadLetter
        /// Late incidents; absent, the dead-letter topic.
        var late = defaultDeadLetter
        /// CAP 1.2 XML rendering of every alert; nil: off.
        var cap: String? = nil
        /// Every accepted incident with its near-repeat score (when a model serves); nil: off.
        var scored: String? = nil

        /// The input, alert, dead-letter and late topics (the optional outputs are read later,
        /// by `readOptionalOutputs`, after the sections they are checked against).
        static let defaultDeadLetter = "incidents.dlq"

        static func read(_ r: inout ConfigReader) throws(ConfigurationError) -> Topics {
            var t = Topics()
            t.deadLetter = try r.string("topics.dead_letter", default: t.deadLetter)
            t.incidents = try r.string("topics.incidents", default: t.incidents)
            t.alerts = try r.string("topics.alerts", default: t.alerts)
            t.late = try r.optionalString("topics.late") ?? t.deadLetter
            for (key, name) in [
                ("topics.incidents", t.incidents), ("topics.alerts", t.alerts), ("topics.dead_letter", t.deadLetter),
                ("topics.late", t.late)
            ] {
                try require(
                    isValidTopic(name), key, "'\(name)' is not a valid Kafka topic name", "use 1–249 characters from [a-zA-Z0-9._-]")
            }
            try require(
                t.alerts != t.incidents, "topics.alerts", "must differ from topics.incidents",
                "alerts feeding back into the input would loop")
            try require(
                t.deadLetter != t.incidents, "topics.dead_letter", "must differ from topics.incidents",
                "dead letters feeding back into the input would loop")
            return t
        }

        /// `topics.cap` and `topics.scored` ("" is off), checked against the other topics and,
        /// with `checkOperations`, against the librdkafka tables of `kafka`.
        mutating func readOptionalOutputs(_ r: inout ConfigReader, kafka: Kafka) throws(ConfigurationError) {
            let capTopic = try r.string("topics.cap", default: "")
            let scoredTopic = try r.string("topics.scored", default: "")
            if !scoredTopic.isEmpty {
                try require(
                    isValidTopic(scoredTopic), "topics.scored", "'\(scoredTopic)' is not a valid Kafka topic name",
                    "use 1–249 characters from [a-zA-Z0-9._-], or \"\" for off")
                try require(
                    scoredTopic != incidents && scoredTopic != alerts, "topics.scored",
                    "must differ from topics.incidents and topics.alerts", nil)
            }
            try checkOperations(kafka: kafka, topics: self, capTopic: capTopic)
            cap = capTopic.isEmpty ? nil : capTopic
            scored = scoredTopic.isEmpty ? nil : scoredTopic
        }
    }
}
