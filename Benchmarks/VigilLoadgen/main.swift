import ArgumentParser
import Dispatch
import Foundation
import Histogram
import Logging
import VigilKafka

/// Load generator and latency probe for the end-to-end benchmark (tools/bench_e2e.py).
///
/// Produces real incidents (canonical NDJSON lines, unchanged) to the incidents topic at a fixed
/// rate or as fast as possible, keyed by neighbourhood like tools/replay_incidents.py. With
/// `--alerts-topic`, a probe thread reads the alerts Vigil publishes and records, in an
/// HdrHistogram, the time from handing the alert's triggering incident (the last id it cites)
/// to the producer until the alert arrives: event→alert latency on one monotonic clock.
struct Loadgen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-loadgen",
        abstract: "Produce incidents at a fixed rate or at maximum; measure event→alert latency.")

    @Option(help: "Kafka bootstrap servers.")
    var bootstrap: String

    @Option(help: "Canonical incident NDJSON, in event-time order (tools/replay_incidents.py --to-file).")
    var input: String

    @Option(help: "Topic to produce to.")
    var topic: String = "incidents"

    @Option(help: "Create the topic with this many partitions first (0: do not create).")
    var partitions: Int32 = 1

    @Option(help: "Messages per second; 0 = as fast as possible.")
    var rate: Double = 0

    @Option(help: "Produce at most this many messages (default: every line of the input).")
    var count: Int?

    @Option(help: "Skip this many lines of the input first.")
    var skip: Int = 0

    @Option(help: "Alerts topic to probe for latency (omit: produce only).")
    var alertsTopic: String?

    @Flag(help: "Probe the incidents topic itself instead of alerts: produce→consume latency of the broker alone (the floor).")
    var probeIncidents = false

    @Option(help: "After producing, keep probing until no alert arrived for this many seconds.")
    var drainSeconds: Double = 3

    @Option(help: "linger.ms of the load generator's producer.")
    var lingerMs: Int = 1

    func run() throws {
        let logger = Logger(label: "vigil-loadgen")
        let raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: input)))
        var lines = Lines.split(raw).dropFirst(skip)
        if let count { lines = lines.prefix(count) }
        let messages = Array(lines)
        guard !messages.isEmpty else { throw ValidationError("no messages in \(input)") }
        let ids = messages.map(Lines.id(of:))
        var index: [String: Int32] = [:]
        index.reserveCapacity(ids.count)
        for (i, id) in ids.enumerated() { index[id] = Int32(i) }
        let times = ProduceTimes(count: messages.count)

        if partitions > 0 {
            let admin = try KafkaAdmin(configuration: KafkaConfiguration(["bootstrap.servers": bootstrap]), logger: logger)
            try admin.createTopics([topic: partitions])
        }
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration([
                "bootstrap.servers": bootstrap, "linger.ms": "\(lingerMs)", "queue.buffering.max.messages": "1000000"
            ]), logger: logger)

        let probeDone = DispatchSemaphore(value: 0)
        let probeTopic = probeIncidents ? topic : alertsTopic
        let probe = probeTopic.map {
            Probe(
                bootstrap: bootstrap, topic: $0, index: index, times: times, drainSeconds: drainSeconds,
                incidents: probeIncidents)
        }
        if let probe {
            Thread {
                probe.run()
                probeDone.signal()
            }.start()
            probe.waitUntilAssigned()
        }

        let start = DispatchTime.now().uptimeNanoseconds
        let interval = rate > 0 ? 1e9 / rate : 0
        for (i, value) in messages.enumerated() {
            if rate > 0 {
                // Sleep until due, never spin: a spinning generator took about half of this 2-core
                // box at 10k/s and starved the daemon it measures. The send time is recorded
                // below, at the actual send, so a late wake-up delays the message, not the figure.
                let due = start + UInt64(Double(i) * interval)
                while true {
                    let now = DispatchTime.now().uptimeNanoseconds
                    if now >= due { break }
                    usleep(UInt32(max(1, min(1000, (due - now) / 1000))))
                }
            }
            times.set(i, DispatchTime.now().uptimeNanoseconds)
            try producer.send(OutgoingMessage(topic: topic, key: Lines.neighbourhood(of: value), value: value), opaque: UInt64(i))
            if i & 0x3FF == 0 { _ = producer.poll(timeoutMs: 0) }
        }
        let enqueued = DispatchTime.now().uptimeNanoseconds
        let failures = producer.flush(timeoutMs: 60_000).filter { $0.error != nil }.count
        let flushed = DispatchTime.now().uptimeNanoseconds
        producer.close(timeoutMs: 10_000)
        probe?.producingFinished()
        if probe != nil { probeDone.wait() }

        var fields: [String] = [
            "\"messages\":\(messages.count)", "\"target_rate\":\(Int(rate))",
            String(format: "\"enqueue_seconds\":%.3f", Double(enqueued - start) / 1e9),
            String(format: "\"seconds\":%.3f", Double(flushed - start) / 1e9),
            String(format: "\"messages_per_s\":%.0f", Double(messages.count) / (Double(flushed - start) / 1e9)),
            "\"delivery_failures\":\(failures)"
        ]
        if let probe { fields += probe.summary() }
        print("{" + fields.joined(separator: ",") + "}")
    }
}

/// When each message was handed to the producer (monotonic ns), shared with the probe thread.
final class ProduceTimes: @unchecked Sendable {
    private let lock = NSLock()
    private var times: [UInt64]

    init(count: Int) { times = Array(repeating: 0, count: count) }

    func set(_ i: Int, _ t: UInt64) {
        lock.lock()
        times[i] = t
        lock.unlock()
    }
    func get(_ i: Int) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return times[i]
    }
}

/// Reads alerts and records event→alert latency of those that cite a produced incident.
final class Probe: @unchecked Sendable {
    let bootstrap: String, topic: String, drainSeconds: Double
    let index: [String: Int32]
    let times: ProduceTimes
    /// Reading incidents (attributed by their own id), not alerts (by the last id they cite).
    let incidents: Bool
    private let lock = NSLock()
    private var finished = false
    private var assigned = false
    private var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    private var alerts = 0, unattributed = 0, firstAlert: UInt64 = 0, lastAlert: UInt64 = 0

    init(bootstrap: String, topic: String, index: [String: Int32], times: ProduceTimes, drainSeconds: Double, incidents: Bool) {
        self.incidents = incidents
        self.bootstrap = bootstrap
        self.topic = topic
        self.index = index
        self.times = times
        self.drainSeconds = drainSeconds
    }

    func producingFinished() {
        lock.lock()
        finished = true
        lock.unlock()
    }

    func waitUntilAssigned() {
        for _ in 0..<300 {
            lock.lock()
            let done = assigned
            lock.unlock()
            if done { return }
            usleep(50_000)
        }
    }

    func run() {
        let logger = Logger(label: "vigil-loadgen.probe")
        do {
            let consumer = try KafkaConsumer(
                configuration: KafkaConfiguration([
                    "bootstrap.servers": bootstrap, "group.id": "vigil-loadgen-probe-\(getpid())-\(DispatchTime.now().uptimeNanoseconds)",
                    "enable.auto.commit": "false", "fetch.wait.max.ms": "5", "fetch.queue.backoff.ms": "1"
                ]), logger: logger, maxBatch: 1000)
            try consumer.subscribe([topic])
            var lastActivity = DispatchTime.now().uptimeNanoseconds
            while true {
                consumer.poll(timeoutMs: 5) { record in
                    let now = DispatchTime.now().uptimeNanoseconds
                    lastActivity = now
                    guard let value = record.value else { return }
                    lock.lock()
                    defer { lock.unlock() }
                    alerts += 1
                    if firstAlert == 0 { firstAlert = now }
                    lastAlert = now
                    let cited = incidents ? Lines.string(after: "id", in: value) : Lines.lastIncidentID(in: value)
                    guard let id = cited, let i = index[id] else {
                        unattributed += 1
                        return
                    }
                    let produced = times.get(Int(i))
                    guard produced > 0, now > produced else {
                        unattributed += 1
                        return
                    }
                    _ = histogram.record((now - produced) / 1000)  // microseconds
                }
                let now = DispatchTime.now().uptimeNanoseconds
                lock.lock()
                if !assigned, (try? consumer.assignment().isEmpty == false) == true { assigned = true }
                let done = finished
                lock.unlock()
                if done, Double(now - lastActivity) / 1e9 > drainSeconds { break }
            }
            consumer.close()
        } catch {
            FileHandle.standardError.write(Data("vigil-loadgen: probe failed: \(error)\n".utf8))
            lock.lock()
            assigned = true
            lock.unlock()
        }
    }

    func summary() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        var out = ["\"alerts\":\(alerts)", "\"alerts_attributed\":\(histogram.totalCount)", "\"alerts_unattributed\":\(unattributed)"]
        if histogram.totalCount > 0 {
            for (name, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99_9", 99.9)] {
                out.append(String(format: "\"latency_%@_ms\":%.3f", name as NSString, Double(histogram.valueAtPercentile(p)) / 1000))
            }
            out.append(String(format: "\"latency_max_ms\":%.3f", Double(histogram.max) / 1000))
            out.append(String(format: "\"latency_mean_ms\":%.3f", histogram.mean / 1000))
        }
        return out
    }
}

/// Byte-level helpers over canonical incident and alert JSON (no full parse on the hot path).
enum Lines {
    /// The non-empty lines of an NDJSON file.
    static func split(_ raw: [UInt8]) -> [[UInt8]] {
        raw.split(separator: 0x0A).map { Array($0) }
    }

    /// The string value following `"name":"` (no escapes in ids or names of the test data).
    static func string(after name: String, in bytes: UnsafeRawBufferPointer) -> String? {
        let pattern = Array("\"\(name)\":\"".utf8)
        guard bytes.count > pattern.count else { return nil }
        var i = 0
        while i + pattern.count <= bytes.count {
            if bytes[i] == pattern[0], zip(pattern.indices, pattern).allSatisfy({ bytes[i + $0.0] == $0.1 }) {
                let start = i + pattern.count
                var end = start
                while end < bytes.count, bytes[end] != 0x22 { end += 1 }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
            i += 1
        }
        return nil
    }

    static func id(of line: [UInt8]) -> String { line.withUnsafeBytes { string(after: "id", in: $0) } ?? "" }

    static func neighbourhood(of line: [UInt8]) -> [UInt8] {
        Array((line.withUnsafeBytes { string(after: "neighbourhood", in: $0) } ?? "unknown").utf8)
    }

    /// The last id of the alert's `incident_ids`: the incident whose arrival fired the alert.
    static func lastIncidentID(in alert: UnsafeRawBufferPointer) -> String? {
        let pattern = Array("\"incident_ids\":[".utf8)
        var i = 0
        while i + pattern.count <= alert.count {
            if alert[i] == pattern[0], zip(pattern.indices, pattern).allSatisfy({ alert[i + $0.0] == $0.1 }) {
                var end = i + pattern.count
                while end < alert.count, alert[end] != 0x5D { end += 1 }
                guard end > i + pattern.count, alert[end - 1] == 0x22 else { return nil }
                var start = end - 2
                while start > i, alert[start] != 0x22 { start -= 1 }
                return String(decoding: UnsafeRawBufferPointer(rebasing: alert[(start + 1)..<(end - 1)]), as: UTF8.self)
            }
            i += 1
        }
        return nil
    }
}

Loadgen.main()
