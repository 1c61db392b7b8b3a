import Foundation
import Testing
import VigilKafka

/// Starts the real `vigil` binary against the real broker.
@Suite("vigil run end to end", .serialized)
struct PipelineEndToEndTests {
    static func incident(_ id: String, _ time: String, _ category: String = "Assault", lat: Double = 43.65, lon: Double = -79.38)
        -> [UInt8]?
    {
        Array(
            #"{"id":"\#(id)","event_time":"\#(time)","category":"\#(category)","premises":"Outside","neighbourhood":"Test","lat":\#(lat),"lon":\#(lon)}"#
                .utf8)
    }

    static func config(bootstrap: String, producerBootstrap: String? = nil, group: String, topics: (String, String, String)) -> String {
        """
        [kafka]
        bootstrap_servers = "\(bootstrap)"
        group_id = "\(group)"
        topic_partitions = 1
        [kafka.producer]
        \(producerBootstrap.map { "\"bootstrap.servers\" = \"\($0)\"" } ?? "")
        [topics]
        incidents = "\(topics.0)"
        alerts = "\(topics.1)"
        dead_letter = "\(topics.2)"
        [alerts]
        kinds = ["all"]
        [rules.count]
        window = "24h"
        resolution = "1h"
        threshold = 3
        cooldown = "24h"
        [rules.surge]
        enabled = false
        [hotspots]
        enabled = false
        """
    }

    @Test func aKnownSequenceGivesExactlyTheExpectedAlertsAndDeadLetters() throws {
        let bootstrap = try E2E.bootstrap
        let (incidents, alerts, dlq) = (E2E.unique("inc"), E2E.unique("alerts"), E2E.unique("dlq"))
        let group = E2E.unique("vigil")
        try KafkaAdmin(configuration: KafkaConfiguration(["bootstrap.servers": bootstrap]), logger: E2E.logger).createTopics([incidents: 1])
        let vigil = try ChildProcess(
            E2E.binary,
            ["run", "--config", try E2E.writeConfig(Self.config(bootstrap: bootstrap, group: group, topics: (incidents, alerts, dlq)))])
        defer { vigil.terminate() }
        #expect(
            vigil.waitForLine(timeout: 30) { $0.contains("partitions assigned") } != nil, "vigil joined the group: \(vigil.errorOutput)")

        let inputs: [[UInt8]?] = [
            Self.incident("a1", "2021-03-04T10:00:00-05:00"),  // 0
            Array(#"{"id": "x", "#.utf8),  // 1 malformed
            Self.incident("a2", "2021-03-04T11:00:00-05:00"),  // 2
            Array(#"{"id":"m","event_time":"2021-03-04T11:00:00Z","lat":43.65,"lon":-79.38}"#.utf8),  // 3 missing category
            nil,  // 4 tombstone
            Self.incident("a3", "2021-03-04T12:00:00-05:00"),  // 5 -> alert 1
            Array(#"{"id":"w","event_time":"2021-03-04T11:00:00Z","category":"Assault","lat":"43.65","lon":-79.38}"#.utf8),  // 6 wrong type
            Self.incident("z", "2021-03-04T12:00:00-05:00", lat: 0, lon: 0),  // 7 (0,0)
            Self.incident("a4", "2021-03-04T13:00:00-05:00"),  // 8 cooldown: no alert
            Self.incident("r1", "2021-03-04T13:00:00-05:00", "Robbery"),  // 9 other category
            Self.incident("o", "2021-03-04T13:00:00-05:00", lat: 45.5, lon: -73.6),  // 10 outside bbox (Montreal)
            Self.incident("c1", "2021-03-04T14:00:00-05:00", lat: 43.70, lon: -79.40),  // 11
            Self.incident("c2", "2021-03-04T15:00:00-05:00", lat: 43.70, lon: -79.40),  // 12
            Self.incident("c3", "2021-03-04T16:00:00-05:00", lat: 43.70, lon: -79.40),  // 13 -> alert 2
            Self.incident("a5", "2021-03-05T16:00:00-05:00")  // 14 window holds a5 only
        ]
        let producer = try E2E.producer(bootstrap)
        try E2E.produce(producer, topic: incidents, values: inputs)
        producer.close(timeoutMs: 1000)

        let published = try E2E.readAll(bootstrap, topic: alerts, atLeast: 2)
        #expect(published.count == 2, "exactly two alerts on the topic")
        let alertObjects = published.compactMap { jsonObject($0.value) }.sorted {
            ($0["event_time"] as! String) < ($1["event_time"] as! String)
        }
        try #require(alertObjects.count == 2)
        let first = alertObjects[0]
        let second = alertObjects[1]
        #expect(first["incident_ids"] as? [String] == ["a1", "a2", "a3"])
        #expect((first["evidence"] as? [String: Any])?["count"] as? Int == 3)
        #expect((first["window"] as? [String: Any])?["end"] as? String == "2021-03-04T18:00:00Z")
        #expect((first["window"] as? [String: Any])?["start"] as? String == "2021-03-03T18:00:00Z")
        #expect((first["key"] as? [String: Any])?["category"] as? String == "Assault")
        #expect(second["incident_ids"] as? [String] == ["c1", "c2", "c3"])
        #expect((first["key"] as? [String: Any])?["cell"] as? String != (second["key"] as? [String: Any])?["cell"] as? String)
        for message in published {
            let object = try #require(jsonObject(message.value))
            #expect(
                message.keyString == (object["location"] as? [String: Any])?["cell"] as? String, "the Kafka key of an alert is its cell")
            #expect(message.header("ce_id") == object["id"] as? String)
            #expect(message.header("content-type") == "application/json")
        }

        // The same alerts, as one JSON line each, in the log.
        let logged = vigil.output.compactMap(jsonObject).filter { $0["kind"] as? String == "count_threshold" }
        #expect(Set(logged.compactMap { $0["id"] as? String }) == Set(alertObjects.compactMap { $0["id"] as? String }))
        #expect(logged.count == 2)

        let letters = try E2E.readAll(bootstrap, topic: dlq, atLeast: 6)
        #expect(letters.count == 6, "exactly the six bad messages are dead-lettered")
        let byOffset = Dictionary(uniqueKeysWithValues: letters.map { (Int($0.header("vigil.source.offset") ?? "-1")!, $0) })
        let expected: [Int: (String, String?)] = [
            1: ("malformed_json", nil), 3: ("missing_field", "category"), 4: ("tombstone", nil),
            6: ("wrong_type", "lat"), 7: ("invalid_value", "lat"), 10: ("out_of_bounds", "lat")
        ]
        for (offset, (reason, field)) in expected {
            let letter = try #require(byOffset[offset], "dead letter for offset \(offset)")
            #expect(letter.header("vigil.error.reason") == reason)
            #expect(letter.header("vigil.error.field") == field)
            #expect(letter.header("vigil.source.topic") == incidents)
            #expect(letter.header("vigil.source.partition") == "0")
            #expect(!(letter.header("vigil.error.message") ?? "").isEmpty)
            #expect(letter.value == inputs[offset], "the dead letter carries the original bytes unchanged")
        }

        // Everything acknowledged: the whole input is committed.
        #expect(try E2E.waitUntil(timeout: 20) { try E2E.committed(bootstrap, group: group, topic: incidents) == Int64(inputs.count) })
        #expect(vigil.terminate() == 0, "SIGTERM gives a clean exit: \(vigil.errorOutput)")
        #expect(vigil.output.contains { $0.contains("\"stopped\"") })
    }

    /// Alerts go to a second broker that is frozen with SIGSTOP: the input offset of the incident
    /// that caused the alert must not be committed until the alert is acknowledged.
    @Test func offsetsAreNotCommittedPastAnUnacknowledgedAlert() throws {
        let bootstrap = try E2E.bootstrap
        guard let tansu = ProcessInfo.processInfo.environment["VIGIL_TANSU"] else {
            Issue.record("VIGIL_TANSU (the broker binary) is not set: run the tests with tools/test.sh")
            return
        }
        let port = E2E.freePort()
        let outputBroker = try ChildProcess(
            tansu,
            [
                "broker", "--listener-url", "tcp://127.0.0.1:\(port)",
                "--advertised-listener-url", "tcp://127.0.0.1:\(port)", "--storage-engine", "memory://tansu/"
            ])
        defer {
            outputBroker.signal(SIGCONT)
            outputBroker.terminate()
        }
        let outputBootstrap = "127.0.0.1:\(port)"
        #expect(E2E.waitUntil(timeout: 15) { E2E.canConnect(port: port) }, "the second broker listens")

        let (incidents, alerts, dlq) = (E2E.unique("inc"), E2E.unique("alerts"), E2E.unique("dlq"))
        let group = E2E.unique("vigil")
        try KafkaAdmin(configuration: KafkaConfiguration(["bootstrap.servers": bootstrap]), logger: E2E.logger).createTopics([incidents: 1])
        let config = Self.config(bootstrap: bootstrap, producerBootstrap: outputBootstrap, group: group, topics: (incidents, alerts, dlq))
        let vigil = try ChildProcess(E2E.binary, ["run", "--config", try E2E.writeConfig(config)])
        defer { vigil.terminate() }
        #expect(
            vigil.waitForLine(timeout: 30) { $0.contains("partitions assigned") } != nil, "vigil joined the group: \(vigil.errorOutput)")

        let producer = try E2E.producer(bootstrap)
        defer { producer.close(timeoutMs: 1000) }
        try E2E.produce(
            producer, topic: incidents,
            values: [Self.incident("a1", "2021-03-04T10:00:00-05:00"), Self.incident("a2", "2021-03-04T11:00:00-05:00")])
        #expect(
            try E2E.waitUntil(timeout: 20) { try E2E.committed(bootstrap, group: group, topic: incidents) == 2 },
            "inputs without outputs commit")

        outputBroker.signal(SIGSTOP)
        try E2E.produce(
            producer, topic: incidents,
            values: [
                Self.incident("a3", "2021-03-04T12:00:00-05:00"),  // offset 2 -> alert, unacknowledgeable
                Self.incident("b1", "2021-03-04T12:00:00-05:00", "Robbery"),  // offset 3: no output
                Self.incident("b2", "2021-03-04T12:00:00-05:00", "Auto Theft")  // offset 4: no output
            ])
        #expect(vigil.waitForLine(timeout: 20) { $0.contains("\"count_threshold\"") } != nil, "the alert was raised (and logged)")
        Thread.sleep(forTimeInterval: 4)  // several auto-commit intervals
        #expect(
            try E2E.committed(bootstrap, group: group, topic: incidents) == 2,
            "the committed offset stays at the incident whose alert is not acknowledged")

        outputBroker.signal(SIGCONT)
        #expect(
            try E2E.waitUntil(timeout: 40) { try E2E.committed(bootstrap, group: group, topic: incidents) == 5 },
            "once the alert is acknowledged everything commits")
        let published = try E2E.readAll(outputBootstrap, topic: alerts, atLeast: 1)
        #expect(published.count == 1)
        #expect(jsonObject(published.first?.value)?["incident_ids"] as? [String] == ["a1", "a2", "a3"])
        #expect(vigil.terminate() == 0)
    }
}
