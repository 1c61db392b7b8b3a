import Foundation
import Testing
import VigilKafka

/// `pipeline.worker_threads` (issue 13, both cores): the same multi-partition input through the
/// real `vigil run` and the real broker with 1 and with 2 worker threads must give the same
/// alerts, dead letters and late letters, in the same order for each input partition, and commit
/// every input. Both daemons run at once, in their own groups, on one input topic.
@Suite("vigil run with parallel engines end to end", .serialized)
struct ParallelPipelineEndToEndTests {
    static let partitions: [Int32: Int] = [0: 220, 1: 380, 2: 540, 3: 700]

    static func config(bootstrap: String, group: String, incidents: String, output: String, threads: Int) -> String {
        """
        [kafka]
        bootstrap_servers = "\(bootstrap)"
        group_id = "\(group)"
        [topics]
        incidents = "\(incidents)"
        alerts = "\(output)-alerts"
        dead_letter = "\(output)-dlq"
        late = "\(output)-late"
        [alerts]
        kinds = ["all"]
        [rules.count]
        window = "24h"
        resolution = "1h"
        threshold = 3
        cooldown = "2h"
        [rules.surge]
        enabled = false
        [hotspots]
        enabled = false
        [pipeline]
        max_batch = 500
        worker_threads = \(threads)
        """
    }

    /// Partition p: incidents every ~20 minutes over a few cells and two categories (many count
    /// alerts), with a malformed record every 41st and an incident three days late every 29th.
    static func inputs(partition p: Int32, count: Int) -> [[UInt8]?] {
        var state = UInt64(p) &+ 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        return (0..<count).map { i -> [UInt8]? in
            if i % 41 == 40 { return Array(#"{"id": "broken-\#(p)-\#(i)", "#.utf8) }
            let late: Int64 = i % 29 == 28 ? 3 * 86_400 : 0
            let seconds = 1_614_816_000 + Int64(i) * 1200 + Int64(next(600)) - late
            let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            let lat = 43.65 + Double(next(3)) * 0.003 + Double(p) * 0.01
            let lon = -79.38 + Double(next(3)) * 0.004
            let category = ["Assault", "Robbery", "Break and Enter"][next(3)]
            return Array(
                #"{"id":"p\#(p)-\#(i)","event_time":"\#(time)","category":"\#(category)","premises":"Outside","neighbourhood":"Test","lat":\#(lat),"lon":\#(lon)}"#
                    .utf8)
        }
    }

    /// What a run published, per input partition: for each output partition, its messages from
    /// that input in topic order (the wall clock and the group's name removed, everything else kept).
    static func published(_ bootstrap: String, topic: String, atLeast count: Int) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for message in try E2E.readAll(bootstrap, topic: topic, atLeast: count, timeout: 60) {
            var body = jsonObject(message.value) ?? [:]
            body["detected_at"] = nil
            let text =
                body.isEmpty
                ? String(decoding: message.value ?? [], as: UTF8.self)
                : String(decoding: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]), as: UTF8.self)
            let headers = message.headers.filter { !["ce_time", "ce_source"].contains($0.name) }
                .map { "\($0.name)=\($0.stringValue ?? "")" }
            let source = message.header("vigil.source.partition") ?? "?"
            out["in \(source) / out \(message.partition)", default: []].append(
                "\(message.header("vigil.source.offset") ?? "?") \(message.keyString ?? "") \(headers) \(text)")
        }
        return out
    }

    /// Records where `parallel` first differs from `serial` (the whole maps are too long to print).
    static func expectSame(_ parallel: [String: [String]], _ serial: [String: [String]], _ what: String) {
        #expect(parallel.keys.sorted() == serial.keys.sorted(), "\(what): the same partitions")
        for (key, expected) in serial.sorted(by: { $0.key < $1.key }) {
            let got = parallel[key] ?? []
            guard got != expected else { continue }
            let at = (0..<min(got.count, expected.count)).first { got[$0] != expected[$0] } ?? min(got.count, expected.count)
            let gotText = at < got.count ? got[at] : "none"
            let expectedText = at < expected.count ? expected[at] : "none"
            Issue.record(
                "\(what) \(key): \(got.count) messages, serially \(expected.count); first difference at \(at): \(gotText) instead of \(expectedText)"
            )
        }
    }

    static func committed(_ bootstrap: String, group: String, topic: String) throws -> [Int32: Int64] {
        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration(["bootstrap.servers": bootstrap, "group.id": group]), logger: E2E.logger)
        defer { consumer.close() }
        let tps = partitions.keys.map { TopicPartition(topic, $0) }
        let offsets = try consumer.committed(tps)
        return Dictionary(uniqueKeysWithValues: tps.map { ($0.partition, offsets[$0] ?? KafkaOffset.invalid) })
    }

    @Test func oneAndTwoWorkerThreadsPublishTheSameMessagesInTheSameOrderPerPartition() throws {
        let bootstrap = try E2E.bootstrap
        let incidents = E2E.unique("inc")
        try KafkaAdmin(configuration: KafkaConfiguration(["bootstrap.servers": bootstrap]), logger: E2E.logger)
            .createTopics([incidents: Int32(Self.partitions.count)])
        let producer = try E2E.producer(bootstrap)
        var sent = 0
        for (p, count) in Self.partitions.sorted(by: { $0.key < $1.key }) {
            for (i, value) in Self.inputs(partition: p, count: count).enumerated() {
                sent += 1
                try producer.send(
                    OutgoingMessage(topic: incidents, partition: p, key: Array("k\(p)-\(i)".utf8), value: value), opaque: UInt64(sent))
            }
        }
        var reports = 0
        let deadline = Date().addingTimeInterval(60)
        while reports < sent && Date() < deadline { reports += producer.poll(timeoutMs: 100).filter { $0.error == nil }.count }
        producer.close(timeoutMs: 1000)
        try #require(reports == sent, "the input is on the broker")

        var runs: [(output: String, group: String, vigil: ChildProcess)] = []
        for threads in [1, 2] {
            let output = E2E.unique("out\(threads)")
            let group = E2E.unique("vigil\(threads)")
            let config = Self.config(bootstrap: bootstrap, group: group, incidents: incidents, output: output, threads: threads)
            let vigil = try ChildProcess(E2E.binary, ["run", "--config", try E2E.writeConfig(config)])
            runs.append((output, group, vigil))
        }
        defer { for run in runs { run.vigil.terminate() } }
        for (threads, run) in zip([1, 2], runs) {
            let started = run.vigil.waitForLine(timeout: 30) { jsonObject($0)?["msg"] as? String == "consuming" }
            #expect(
                started.flatMap { jsonObject($0)?["pipeline.worker_threads"] as? String } == "\(threads)",
                "run with \(threads) worker threads: \(run.vigil.errorOutput)")
        }
        // Every input committed, in every partition, by both.
        let ends = Self.partitions.mapValues { Int64($0) }
        for run in runs {
            let done = try E2E.waitUntil(timeout: 120) { try Self.committed(bootstrap, group: run.group, topic: incidents) == ends }
            #expect(done, "all \(sent) inputs committed, partition by partition")
        }

        let malformed = Self.partitions.values.reduce(0) { $0 + $1 / 41 }
        let serialAlerts = try Self.published(bootstrap, topic: "\(runs[0].output)-alerts", atLeast: 100)
        let parallelAlerts = try Self.published(bootstrap, topic: "\(runs[1].output)-alerts", atLeast: 100)
        let alertCount = serialAlerts.values.reduce(0) { $0 + $1.count }
        #expect(alertCount > 200, "the input raises many alerts (\(alertCount))")
        #expect(Set(serialAlerts.keys.map { $0.prefix(4) }).count == Self.partitions.count, "alerts from every input partition")
        Self.expectSame(parallelAlerts, serialAlerts, "alerts")

        let serialLetters = try Self.published(bootstrap, topic: "\(runs[0].output)-dlq", atLeast: malformed)
        let parallelLetters = try Self.published(bootstrap, topic: "\(runs[1].output)-dlq", atLeast: malformed)
        #expect(serialLetters.values.reduce(0) { $0 + $1.count } == malformed)
        Self.expectSame(parallelLetters, serialLetters, "dead letters")

        let serialLate = try Self.published(bootstrap, topic: "\(runs[0].output)-late", atLeast: 20)
        let parallelLate = try Self.published(bootstrap, topic: "\(runs[1].output)-late", atLeast: 20)
        #expect(serialLate.values.reduce(0) { $0 + $1.count } >= 20, "late incidents went to the late topic")
        Self.expectSame(parallelLate, serialLate, "late letters")

        for run in runs { #expect(run.vigil.terminate() == 0, "clean exit: \(run.vigil.errorOutput)") }
    }
}
