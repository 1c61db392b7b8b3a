import Testing
import VigilKafka

@testable import VigilCore
@testable import VigilService

/// The tile layout's three stages (issue 18) chained without a broker: input records → `RouterWork`
/// → routed records, per partition with their own offsets → `ScanWork` → the findings topic's one
/// partition → `LifecycleWork` → alert messages. What they publish must be what one engine
/// publishes for the same input, whatever happens between them that Kafka allows: restarts that
/// rebuild from the start of a partition, repeats after a restart, findings of different partitions
/// arriving in any interleaving, and foreign bytes on the internal topics.
@Suite struct StageWorkTests {
    typealias F = StageFixture

    /// Test 1: the chained stages publish one engine's alerts, in its order, byte for byte apart
    /// from `detected_at`, with halo copies crossing partitions.
    @Test func theChainedStagesPublishWhatOneEnginePublishes() {
        let chain = F.uninterrupted
        let kinds = Set(chain.published.map(\.kind))
        #expect(chain.published.count >= 5, "the stream must raise a few cluster alerts")
        #expect(kinds.isSuperset(of: ["cluster_emerging", "cluster_grew", "cluster_ended"]), "kinds published: \(kinds)")
        #expect(chain.problems.isEmpty, "\(chain.problems.prefix(5))")
        #expect(alertDifference(chain.published.map(\.json), F.reference) == nil)
        #expect(chain.capMessages == chain.published.count, "one CAP rendering per alert")
        #expect(chain.router.skipped == 0, "every input of the stream is valid and timely")
        let received = (0..<F.partitions).map { chain.scan.partitions[Int32($0)] }
        #expect(received.allSatisfy { ($0?.owned ?? 0) > 0 && ($0?.halo ?? 0) > 0 }, "every partition owns tiles and gets halo copies")
        #expect(chain.routed.allSatisfy { !$0.isEmpty })
        #expect(chain.findings.contains { $0.keyString != "0" }, "findings come from more than one partition")
        #expect(chain.scan.malformed == 0 && chain.lifecycle.malformed == 0)
    }

    /// Test 2: a scan stage and a lifecycle stage restarted at a cut (state dropped, every record
    /// before the cut re-applied silently, then live again, as `StageLoop` does after a restart or
    /// a rebalance) publish after the cut what the uninterrupted chain publishes after it. `fresh`:
    /// new instances (a process restart); otherwise `end` and `begin` on the running ones.
    @Test(arguments: [(0, true), (0, false), (1, true), (2, false)])
    func aRebuiltScanAndLifecyclePublishWhatTheLiveOnesWould(cutChoice: Int, fresh: Bool) {
        let reference = F.uninterrupted
        let emerging = reference.published.first { $0.kind == "cluster_emerging" }?.input ?? 0
        let last = reference.published.last?.input ?? 0
        // Just after the first emerging alert, halfway to the last alert, just before the last.
        let cut = [emerging + 1, (emerging + last) / 2, last][cutChoice]
        #expect(cut > 1 && cut <= last)

        var chain = StageChain()
        for i in 0..<cut { chain.feed(i) }
        if cutChoice == 0 { #expect(chain.lifecycle.city.openCount > 0, "the cluster that just emerged is open across the cut") }
        let rebuilt = chain.restartScansAndLifecycle(fresh: fresh)
        #expect(rebuilt.lifecycleOutputs == 0, "the lifecycle published while rebuilding")
        #expect(rebuilt.scanFindings == chain.findings.map(\.value), "a rebuilt scan recomputes the findings it sent")
        #expect(rebuilt.stateAfterBegin == [0, 0, 0, 0], "scans' incidents, open clusters after begin: state not dropped")
        #expect(chain.lifecycle.city.repeats == 0 && chain.scan.partitions.values.allSatisfy { $0.repeats == 0 })
        for i in cut..<F.inputs.count { chain.feed(i) }

        let before = reference.published.filter { $0.input < cut }
        let after = reference.published.filter { $0.input >= cut }
        #expect(!after.isEmpty, "alerts after the cut make the comparison meaningful")
        #expect(chain.problems.isEmpty, "\(chain.problems.prefix(5))")
        #expect(alertDifference(chain.published.filter { $0.input < cut }.map(\.json), before.map(\.json)) == nil)
        #expect(alertDifference(chain.published.filter { $0.input >= cut }.map(\.json), after.map(\.json)) == nil)
        #expect(alertDifference(chain.published.map(\.json), F.reference) == nil)
    }

    /// Test 3: a restarted router sends again what it routed since its commit, a restarted scan
    /// sends again the findings since its commit (rebuilt for real, or simply the last findings of
    /// a partition delivered again); the scans and the lifecycle drop the repeats: the same
    /// alerts, none published twice. Restarts are frequent where clusters form and end.
    @Test(arguments: [11, 12] as [UInt64]) func repeatsAfterRestartsAreDropped(seed: UInt64) {
        var rng = StageRNG(seed: seed)
        var chain = StageChain()
        var restarts = (router: 0, scan: 0, findings: 0)
        for i in 0..<F.inputs.count {
            chain.feed(i)
            let busy = i >= F.firstBurst
            if rng.next() % (busy ? 6 : 300) == 0 {
                chain.restartRouter(commit: max(0, i + 1 - Int(rng.next() % 25)))
                restarts.router += 1
            }
            if rng.next() % (busy ? 4 : 1000) == 0 {
                chain.redeliverFindings(of: Int(rng.next() % UInt64(F.partitions)), last: 1 + Int(rng.next() % 30))
                restarts.findings += 1
            }
            if rng.next() % (busy ? 25 : 2000) == 0 {
                let p = Int(rng.next() % UInt64(F.partitions))
                chain.restartScan(p, commit: max(0, chain.routed[p].count - Int(rng.next() % 40)))
                restarts.scan += 1
            }
        }
        #expect(restarts.router > 10 && restarts.findings > 10 && restarts.scan > 2, "\(restarts)")
        let scanRepeats = chain.scan.partitions.values.reduce(0) { $0 + $1.repeats }
        #expect(scanRepeats > 0, "the restarted router re-sent routed messages")
        #expect(chain.lifecycle.city.repeats > 0, "the restarted scans re-sent findings")
        #expect(chain.problems.isEmpty, "\(chain.problems.prefix(5))")
        #expect(alertDifference(chain.published.map(\.json), F.reference) == nil)
        #expect(chain.published.map(\.id) == F.uninterrupted.published.map(\.id), "an alert published twice, or with another id")
    }

    /// Test 4: the findings of the scan partitions reach the lifecycle in any interleaving (each
    /// partition's own order kept, as on the findings topic): the same alerts.
    @Test(arguments: [1, 2, 3] as [UInt64]) func anyInterleavingOfThePartitionsFindingsGivesTheSameAlerts(seed: UInt64) {
        var rng = StageRNG(seed: seed)
        let findings = F.uninterrupted.findings
        let streams = (0..<F.partitions).map { p in findings.filter { $0.keyString == String(p) } }
        #expect(streams.map(\.count).reduce(0, +) == findings.count)
        var chain = StageChain()
        var next = [Int](repeating: 0, count: F.partitions)
        var interleaved: [String] = []
        while (0..<F.partitions).contains(where: { next[$0] < streams[$0].count }) {
            let p = Int(rng.next() % UInt64(F.partitions))
            for _ in 0..<(1 + Int(rng.next() % 60)) where next[p] < streams[p].count {
                chain.deliverFinding(streams[p][next[p]])
                interleaved.append(String(p))
                next[p] += 1
            }
        }
        #expect(interleaved != findings.map { $0.keyString ?? "" }, "the interleaving must differ from the scan's")
        #expect(chain.problems.isEmpty, "\(chain.problems.prefix(5))")
        #expect(alertDifference(chain.published.map(\.json), F.reference) == nil)
    }

    /// Test 5a: a routed record without the envelope header, or with bytes in it that are not an
    /// envelope of this build, is one dead letter and changes nothing.
    @Test func aMalformedRoutedRecordIsOneDeadLetter() {
        let incident = StageFixture.json(F.incidents[0])
        let valid = RoutedMessageCodec.encode(.incident(sequence: 0, halo: false))
        let malformed: [(String, [KafkaHeader], [UInt8]?)] = [
            ("no header", [], incident),
            ("other headers only", [KafkaHeader("vigil.other", valid)], incident),
            ("empty header", [KafkaHeader(StageHeaders.route, [UInt8]())], incident),
            ("null header", [KafkaHeader(StageHeaders.route, nil as [UInt8]?)], incident),
            ("text", [KafkaHeader(StageHeaders.route, "garbage")], incident),
            ("another version", [KafkaHeader(StageHeaders.route, [UInt8]([2]) + valid.dropFirst())], incident),
            ("unknown kind", [KafkaHeader(StageHeaders.route, [UInt8]([1, 9]) + valid.dropFirst(2))], incident),
            ("truncated", [KafkaHeader(StageHeaders.route, Array(valid.dropLast()))], incident),
            ("trailing byte", [KafkaHeader(StageHeaders.route, valid + [0])], incident),
            ("bad boolean", [KafkaHeader(StageHeaders.route, Array(valid.dropLast()) + [7])], incident),
            ("incident does not decode", [KafkaHeader(StageHeaders.route, valid)], Array("{\"id\":".utf8)),
            ("incident missing", [KafkaHeader(StageHeaders.route, valid)], nil)
        ]
        var rng = StageRNG(seed: 5)
        let random: [(String, [KafkaHeader], [UInt8]?)] = (0..<200).map { n in
            let bytes = (0..<Int(rng.next() % 40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            return ("random \(n)", [KafkaHeader(StageHeaders.route, bytes)], incident)
        }
        var scan = StageChain().scan
        for (offset, (name, headers, value)) in (malformed + random).enumerated() {
            if let envelope = headers.last(where: { $0.name == StageHeaders.route })?.value,
                (try? RoutedMessageCodec.decode(envelope)) != nil, name.hasPrefix("random")
            {
                continue  // random bytes that happen to be an envelope are not malformed
            }
            let record = KafkaMessage(
                topic: F.settings.routedTopic, partition: 1, offset: Int64(offset), key: nil, value: value, headers: headers)
            let out = scan.apply(record, live: true, now: F.now)
            #expect(out.messages.count == 1, "\(name)")
            #expect(out.messages.first?.topic == F.rendering.deadLetterTopic, "\(name)")
            #expect(
                out.messages.first?.headers.last { $0.name == "vigil.error.reason" }?.stringValue == "malformed_stage_message", "\(name)")
            #expect(out.alerts.isEmpty, "\(name)")
        }
        #expect(scan.malformed >= malformed.count)
        // Nothing was applied: partition 1's own records still give the findings they gave.
        var findings: [[UInt8]?] = []
        for record in F.uninterrupted.routed[1] { findings += scan.apply(record, live: true, now: F.now).messages.map(\.value) }
        #expect(findings == F.uninterrupted.findings.filter { $0.keyString == "1" }.map(\.value))
    }

    /// Test 5b: a finding keyed by something that is not a scan partition in range, or whose bytes
    /// are not a finding of this build, is one dead letter and changes nothing.
    @Test func aMalformedFindingIsOneDeadLetter() {
        let valid = ScanOutputCodec.encode(.mark(sequence: 3))
        let candidate = F.uninterrupted.findings.first { $0.value?.dropFirst().first == 1 }?.value ?? []
        #expect(!candidate.isEmpty, "the stream has a candidate finding")
        let malformed: [(String, String?, [UInt8])] = [
            ("partition = count", String(F.partitions), valid), ("negative", "-1", valid), ("no key", nil, valid),
            ("empty key", "", valid), ("text key", "zero", valid), ("spaces", " 1", valid),
            ("overflow", "99999999999999999999", valid), ("fraction", "1.0", valid),
            ("empty", "0", []), ("one byte", "0", [1]), ("another version", "0", [UInt8]([2]) + valid.dropFirst()),
            ("unknown kind", "0", [UInt8]([1, 7]) + valid.dropFirst(2)), ("truncated", "0", Array(valid.dropLast())),
            ("trailing byte", "0", valid + [0]), ("text", "0", Array("garbage".utf8)),
            ("truncated candidate", "0", Array(candidate.dropLast(3))), ("candidate + byte", "0", candidate + [1])
        ]
        var rng = StageRNG(seed: 6)
        let random: [(String, String?, [UInt8])] = (0..<200).map { n in
            ("random \(n)", "0", (0..<Int(rng.next() % 60)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        }
        var chain = StageChain()
        var rejected = 0
        func reject(_ name: String, key: String?, value: [UInt8]) {
            if name.hasPrefix("random"), (try? ScanOutputCodec.decode(value)) != nil { return }  // happens to be a finding
            let record = KafkaMessage(
                topic: F.settings.findingsTopic, partition: 0, offset: Int64(chain.findings.count + rejected),
                key: key.map { Array($0.utf8) }, value: value)
            let out = chain.lifecycle.apply(record, live: true, now: F.now)
            rejected += 1
            #expect(out.messages.count == 1, "\(name)")
            #expect(out.messages.first?.topic == F.rendering.deadLetterTopic, "\(name)")
            #expect(
                out.messages.first?.headers.last { $0.name == "vigil.error.reason" }?.stringValue == "malformed_stage_message", "\(name)")
            #expect(out.alerts.isEmpty, "\(name)")
        }
        // Before the first finding, then one among every ten of the stream's findings.
        var cases = (malformed + random)[...]
        for (n, finding) in F.uninterrupted.findings.enumerated() {
            while let c = cases.first, n == 0 ? cases.count > random.count : n % 10 == 0 {
                reject(c.0, key: c.1, value: c.2)
                cases = cases.dropFirst()
                if n > 0 { break }
            }
            chain.deliverFinding(finding)
        }
        for c in cases { reject(c.0, key: c.1, value: c.2) }
        #expect(rejected >= malformed.count && chain.lifecycle.malformed == rejected)
        #expect(chain.problems.isEmpty, "\(chain.problems.prefix(5))")
        #expect(alertDifference(chain.published.map(\.json), F.reference) == nil, "the malformed findings changed the alerts")
    }

    /// Test 6a: what the main pipeline dead-letters (undecodable, too far ahead of its record) the
    /// router routes nowhere, and counts nowhere: among the stream, the alerts do not change.
    @Test func theRouterSkipsWhatTheMainPipelineReports() {
        var router = StageChain().router
        let first = F.incidents[0]
        let stamp = first.eventTime.milliseconds
        var offset: Int64 = 0
        // Offsets increase as on a partition: the router numbers incidents by them.
        func record(_ value: [UInt8]?, timestamp: Int64?) -> KafkaMessage {
            offset += 1
            return KafkaMessage(topic: "incidents", partition: 0, offset: offset, timestamp: timestamp, value: value)
        }
        let skipped: [(String, KafkaMessage)] = [
            ("tombstone", record(nil, timestamp: stamp)), ("empty", record([], timestamp: stamp)),
            ("text", record(Array("garbage".utf8), timestamp: stamp)), ("empty object", record(Array("{}".utf8), timestamp: stamp)),
            ("truncated", record(Array(StageFixture.json(first).dropLast()), timestamp: stamp)),
            (
                "out of the grid's bounds",
                record(
                    StageFixture.json(Incident(id: "x", eventTime: first.eventTime, category: "Assault", latitude: 10, longitude: 10)),
                    timestamp: stamp)
            ),
            ("far future", record(StageFixture.json(first), timestamp: stamp - F.maxFutureMs - 1)),
            ("far future, old record", record(StageFixture.json(first), timestamp: 1))
        ]
        for (n, (name, r)) in skipped.enumerated() {
            let out = router.apply(r, live: true, now: F.now)
            #expect(out.messages.isEmpty && out.alerts.isEmpty, "\(name)")
            #expect(router.skipped == n + 1, "\(name)")
            #expect(router.router.watermark.maxEventTime == nil, "\(name) moved the router's watermark")
        }
        #expect(router.batchEnded().isEmpty, "nothing routed yet, nothing to mark")
        // Exactly max_future ahead of its record, and with no timestamp: routed (in the batch's frames).
        func routedIncidents(_ r: KafkaMessage) -> Int {
            #expect(router.apply(r, live: true, now: F.now).messages.isEmpty, "routed messages wait for the batch's end")
            return router.batchEnded().reduce(0) { n, frame in
                n + ((try? RoutedFrameCodec.decode(frame.value ?? [])) ?? []).filter { $0.incident != nil }.count
            }
        }
        #expect(routedIncidents(record(StageFixture.json(first), timestamp: stamp - F.maxFutureMs)) >= 1)
        #expect(routedIncidents(record(StageFixture.json(F.incidents[1]), timestamp: nil)) >= 1)
        // The latest stamp whose `+ max_future` still fits in Int64 (and later ones: test 6b).
        #expect(routedIncidents(record(StageFixture.json(F.incidents[2]), timestamp: .max - F.maxFutureMs)) >= 1)

        // Among the stream: skipped records, far-future ones included, change no alert.
        var rng = StageRNG(seed: 21)
        var chain = StageChain()
        var injected = 0
        for i in 0..<F.inputs.count {
            if rng.next() % 40 == 0 {
                let real = F.incidents[i]
                let future = Incident(
                    id: "future-\(i)", eventTime: real.eventTime + .hours(Int64(25 + rng.next() % 2000)), category: real.category,
                    premises: nil, neighbourhood: real.neighbourhood, latitude: real.latitude, longitude: real.longitude)
                chain.input(record(StageFixture.json(future), timestamp: real.eventTime.milliseconds), index: i)
                chain.input(record(Array("{\"id\":\"cut".utf8), timestamp: real.eventTime.milliseconds), index: i)
                injected += 2
            }
            chain.feed(i)
        }
        #expect(injected > 50 && chain.router.skipped == injected)
        #expect(chain.problems.isEmpty, "\(chain.problems.prefix(5))")
        #expect(alertDifference(chain.published.map(\.json), F.reference) == nil, "a skipped record changed the alerts")
    }

    /// Test 7: the router restarts after retention removed the oldest input records (StageLoop
    /// rebuilds from the first record retained). The records after its commit are new: every scan
    /// must take them. RouterWork numbered incidents by their place since the start of what it
    /// re-read, so after the restart it numbered them from 0 again, below what the scans had
    /// applied, and the scans dropped every new incident as a repeat (found by this test); it now
    /// numbers them by input offset.
    @Test func aRouterRebuiltAfterRetentionStillReachesTheScans() {
        var chain = StageChain()
        let commit = F.firstBurst
        for i in 0..<commit { chain.feed(i) }
        chain.restartRouter(commit: commit, logStart: commit / 2)
        for i in commit..<F.inputs.count { chain.feed(i) }
        let scans = chain.scan.partitions.values
        #expect(scans.reduce(0) { $0 + $1.owned } == F.inputs.count, "every incident applied by the partition that owns it")
        #expect(scans.allSatisfy { $0.repeats == 0 }, "nothing was sent twice")
        #expect(chain.published.count > 0, "the bursts after the restart raise alerts")
    }

    /// Test 6b: a record stamped near the end of time (Kafka keeps the CreateTime a producer sets,
    /// unless the broker bounds it) must not stop the router: its incident is not ahead of it, and
    /// the main pipeline (which judges by the server's clock, with an overflow check) accepts it.
    /// RouterWork computed `stamp + maxFutureMs`, which overflowed and trapped (found by this
    /// test; the process died again on every rebuild); the sum now saturates.
    @Test func aRecordStampedAtTheEndOfTimeDoesNotCrashTheRouter() async {
        await #expect(processExitsWith: .success) {
            var router = RouterWork(
                engine: StageFixture.engine, decoder: StageFixture.decoder, settings: StageFixture.settings,
                maxFutureMs: StageFixture.maxFutureMs)
            let incident = StageFixture.make(
                "late-stamp", RFC3339.parse("2020-01-01T00:00:00Z")!, category: "Assault", cell: GridCell(x: 50, y: 50))
            let record = KafkaMessage(
                topic: "incidents", partition: 0, offset: 0, timestamp: .max - StageFixture.maxFutureMs + 1,
                value: StageFixture.json(incident))
            _ = router.apply(record, live: true, now: StageFixture.now)
            precondition(!router.batchEnded().isEmpty, "the incident is routed")
        }
    }
}

// MARK: - The chain

/// The three stages wired as `StageLoop`s over topics would wire them, each topic a log of
/// `KafkaMessage`s with offsets, every output delivered at once (live).
struct StageChain {
    typealias F = StageFixture

    struct Published {
        /// The alert's JSON without `detected_at`.
        var json: String
        var id: String
        var kind: String
        /// The input record whose routing led to it.
        var input: Int
    }

    var router = RouterWork(engine: F.engine, decoder: F.decoder, settings: F.settings, maxFutureMs: F.maxFutureMs)
    var scan = ScanWork(
        engine: F.engine, decoder: F.decoder, findingsTopic: F.settings.findingsTopic,
        deadLetterTopic: F.rendering.deadLetterTopic, deadLetterMaxBytes: F.rendering.deadLetterMaxBytes)
    var lifecycle = LifecycleWork(engine: F.engine, partitions: F.partitions, rendering: F.rendering)
    /// The routed topic, by partition.
    var routed = [[KafkaMessage]](repeating: [], count: F.partitions)
    /// The findings topic's one partition.
    var findings: [KafkaMessage] = []
    var published: [Published] = []
    var capMessages = 0
    /// Outputs that no stage should have sent.
    var problems: [String] = []
    private var current = 0

    /// The stream's input record `index`, then the router's marks when its poll batch ends there.
    mutating func feed(_ index: Int) {
        input(F.inputs[index], index: index)
        if F.batchEnds.contains(index) {
            for m in router.batchEnded() { deliverRouted(m) }
            delivered = index + 1
        }
    }

    /// Input records before this one have had their routed messages delivered (the router sends a
    /// batch's messages as frames at its end, and `StageLoop` commits no record of a batch before
    /// its frames are acknowledged): a restarted router's committed offset is at most this.
    private(set) var delivered = 0

    mutating func input(_ record: KafkaMessage, index: Int) {
        current = index
        let out = router.apply(record, live: true, now: F.now)
        if !out.alerts.isEmpty { problems.append("router logged \(out.alerts.count) lines") }
        for m in out.messages { deliverRouted(m) }
    }

    mutating func deliverRouted(_ m: OutgoingMessage) {
        guard m.topic == F.settings.routedTopic, let p = m.partition, (0..<F.partitions).contains(Int(p)),
            m.headers.contains(where: { $0.name == StageHeaders.frame })
        else { return problems.append("router sent \(m.topic) partition \(String(describing: m.partition))") }
        let record = KafkaMessage(
            topic: m.topic, partition: p, offset: Int64(routed[Int(p)].count), timestamp: m.timestamp, key: m.key, value: m.value,
            headers: m.headers)
        routed[Int(p)].append(record)
        deliverToScan(record)
    }

    mutating func deliverToScan(_ record: KafkaMessage) {
        let out = scan.apply(record, live: true, now: F.now)
        if !out.alerts.isEmpty { problems.append("scan logged \(out.alerts.count) lines") }
        for f in out.messages {
            let key = String(decoding: f.key ?? [], as: UTF8.self)
            guard f.topic == F.settings.findingsTopic, f.partition == 0, key == String(record.partition) else {
                problems.append("scan sent \(f.topic) partition \(String(describing: f.partition)) key \(key)")
                continue
            }
            deliverFinding(
                KafkaMessage(
                    topic: f.topic, partition: 0, offset: Int64(findings.count), timestamp: f.timestamp, key: f.key, value: f.value,
                    headers: f.headers))
        }
    }

    mutating func deliverFinding(_ finding: KafkaMessage) {
        var record = finding
        record.offset = Int64(findings.count)
        findings.append(record)
        let out = lifecycle.apply(record, live: true, now: F.now)
        var alerts = 0
        for m in out.messages {
            if m.topic == F.rendering.alertsTopic {
                alerts += 1
                published.append(alert(m))
            } else if m.topic == F.rendering.capTopic {
                capMessages += 1
            } else {
                problems.append("lifecycle sent to \(m.topic): \(m.headers.last { $0.name == "vigil.error.message" }?.stringValue ?? "")")
            }
        }
        if out.alerts.count != alerts { problems.append("\(out.alerts.count) log lines for \(alerts) alerts") }
    }

    private mutating func alert(_ m: OutgoingMessage) -> Published {
        let json = String(decoding: m.value ?? [], as: UTF8.self)
        let detected = #","detected_at":"\#(F.now)""#
        if json.ranges(of: detected).count != 1 { problems.append("no detected_at \(F.now) in \(json)") }
        let header = { (name: String) in m.headers.last { $0.name == name }?.stringValue ?? "" }
        return Published(
            json: json.replacing(detected, with: ""), id: header("ce_id"),
            kind: String(header("ce_type").dropFirst("org.vigil.alert.".count)), input: current)
    }

    /// Every scan partition and the lifecycle restart as `StageLoop` restarts them: state dropped
    /// (`begin`), every record up to the committed offset (here: all so far) applied silently.
    /// The rebuilt scans' findings (dropped by the loop) and how many outputs the lifecycle gave.
    mutating func restartScansAndLifecycle(fresh: Bool) -> (
        scanFindings: [[UInt8]?], lifecycleOutputs: Int, stateAfterBegin: [Int]
    ) {
        if fresh {
            scan = StageChain().scan
            lifecycle = StageChain().lifecycle
        }
        var again = [[[UInt8]?]](repeating: [], count: F.partitions)
        var state: [Int] = []
        for p in 0..<F.partitions {
            if !fresh { scan.end(Int32(p)) }
            scan.begin(Int32(p))
            state.append(scan.partitions[Int32(p)].map { $0.owned + $0.halo } ?? -1)
            for record in routed[p] { again[p] += scan.apply(record, live: false, now: F.now).messages.map(\.value) }
        }
        if !fresh { lifecycle.end(0) }
        lifecycle.begin(0)
        state.append(lifecycle.city.openCount)
        var outputs = 0
        for record in findings {
            let out = lifecycle.apply(record, live: false, now: F.now)
            outputs += out.messages.count + out.alerts.count
        }
        // In the findings topic's order: each partition's findings in its own order.
        var next = [Int](repeating: 0, count: F.partitions)
        var merged: [[UInt8]?] = []
        for record in findings {
            let p = Int(record.keyString ?? "") ?? 0
            merged.append(next[p] < again[p].count ? again[p][next[p]] : nil)
            next[p] += 1
        }
        if next != again.map(\.count) { problems.append("rebuilt scans sent \(again.map(\.count)) findings, not \(next)") }
        return (merged, outputs, state)
    }

    /// The router restarts with input records before `commit` committed: rebuilt silently from the
    /// start, then what it routed since the commit is routed again, live.
    /// `logStart`: the input's first record still retained (StageLoop rebuilds from there).
    mutating func restartRouter(commit wanted: Int, logStart: Int = 0) {
        let end = current + 1
        let commit = min(wanted, delivered)
        router.begin(0)
        for i in logStart..<commit { _ = router.apply(F.inputs[i], live: false, now: F.now) }
        guard commit < end else { return }
        for i in commit..<end {
            let out = router.apply(F.inputs[i], live: true, now: F.now)
            for m in out.messages { deliverRouted(m) }
        }
        for m in router.batchEnded() { deliverRouted(m) }
        delivered = end
        current = end - 1
    }

    /// The last `count` findings of scan partition `p` delivered again (a scan that restarted
    /// after sending them and before its commit), at new offsets.
    mutating func redeliverFindings(of p: Int, last count: Int) {
        for record in findings.filter({ $0.keyString == String(p) }).suffix(count) { deliverFinding(record) }
    }

    /// Scan partition `p` restarts with routed records before `commit` committed.
    mutating func restartScan(_ p: Int, commit: Int) {
        scan.begin(Int32(p))
        let records = routed[p]
        for record in records[..<commit] { _ = scan.apply(record, live: false, now: F.now) }
        for record in records[commit...] { deliverToScan(record) }
    }
}

// MARK: - Fixture

/// One configuration and one stream for every test: 56 weeks of background over a 40×40-cell area,
/// then bursts on tile borders and quiet days (as `PartitionedClustersTests`), scanned in 3
/// partitions of 4×4-cell tiles, so a cluster's incidents and their halo copies cross partitions.
enum StageFixture {
    static let partitions = 3
    static let bounds = GeoBounds(south: 43.58, west: -79.64, north: 43.86, east: -79.11)
    static let grid = MetricGrid(cellSize: 250, bounds: bounds)
    static let scan = ClusterScanConfiguration(
        calibrations: ClusterScanConfiguration.uniform(RecurrenceCalibration(a: -14, b: 1)), minRecurrenceDays: 365)
    static let engine = EngineConfiguration(
        grid: grid, countRule: nil, surgeRule: nil, hotspots: nil, clusters: scan,
        alertKinds: [.clusterEmerging, .clusterGrew, .clusterEnded])
    static let settings: ScaleOutSettings = {
        var s = ScaleOutSettings()
        s.enabled = true
        s.partitions = partitions
        s.tileCells = 4
        return s
    }()
    static let decoder = IncidentDecoder(bounds: bounds)
    static let maxFutureMs: Int64 = 86_400_000
    /// The wall clock the stages are given (only `detected_at` reads it).
    static let now = Timestamp(milliseconds: 1_767_225_600_123)
    static let rendering = LifecycleWork.Rendering(
        alertsTopic: "vigil.alerts", capTopic: "vigil.alerts.cap", cap: .init(), source: "vigil/test", deadLetterTopic: "vigil.dlq",
        deadLetterMaxBytes: 65_536)

    static let incidents: [Incident] = stream(seed: 5)

    /// The input topic: each incident's canonical JSON, stamped with its event time.
    static let inputs: [KafkaMessage] = incidents.enumerated().map { n, incident in
        KafkaMessage(
            topic: "incidents", partition: 0, offset: Int64(n), timestamp: incident.eventTime.milliseconds,
            key: Array("toronto".utf8), value: json(incident))
    }

    /// Where the router's poll batches end (seeded sizes of 1 to 64 records; the last record ends one).
    static let batchEnds: Set<Int> = {
        var rng = StageRNG(seed: 99)
        var ends: Set<Int> = [incidents.count - 1]
        var i = -1
        while i < incidents.count {
            i += 1 + Int(rng.next() % 64)
            ends.insert(i)
        }
        return ends
    }()

    /// One engine with only the scan on (as `vigil replay` runs it), fed what the decoder reads from
    /// the input records: its alerts as `vigil replay` writes them.
    static let reference: [String] = {
        var one = IncidentEngine(configuration: engine)
        var out: [String] = []
        for record in inputs {
            guard case .success(let incident) = decoder.decode(record.value),
                case .accepted(let alerts) = one.process(incident)
            else { continue }
            out += alerts.map { String(decoding: AlertJSON.encode($0, detectedAt: nil), as: UTF8.self) }
        }
        return out
    }()

    /// The chain fed the whole stream, nothing restarted.
    static let uninterrupted: StageChain = {
        var chain = StageChain()
        for i in inputs.indices { chain.feed(i) }
        return chain
    }()

    /// The first input of the bursts that raise the alerts (before it: 56 weeks of background).
    static let firstBurst = incidents.firstIndex { $0.id.hasPrefix("b0-") } ?? 0

    /// `incident` as the canonical JSON (`Config/schemas/incident.schema.json`).
    static func json(_ incident: Incident) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("id")
        w.string(incident.id)
        w.key("event_time")
        w.timestamp(incident.eventTime)
        w.key("category")
        w.string(incident.category)
        w.key("premises")
        if let premises = incident.premises { w.string(premises) } else { w.null() }
        w.key("neighbourhood")
        if let neighbourhood = incident.neighbourhood { w.string(neighbourhood) } else { w.null() }
        w.key("lat")
        w.double(incident.latitude)
        w.key("lon")
        w.double(incident.longitude)
        w.endObject()
        return w.bytes
    }

    static func location(_ cell: GridCell, east: Double) -> (latitude: Double, longitude: Double) {
        let centre = grid.centre(of: cell)
        let metresPerDegreeLongitude = grid.project(latitude: centre.latitude, longitude: bounds.west + 1).x
        return (centre.latitude, centre.longitude + east / metresPerDegreeLongitude)
    }

    static func make(_ id: String, _ time: Timestamp, category: String, cell: GridCell, east: Double = 0) -> Incident {
        let p = location(cell, east: east)
        return Incident(
            id: id, eventTime: time, category: category, premises: "House", neighbourhood: "West Humber-Clairville",
            latitude: p.latitude, longitude: p.longitude)
    }

    static func stream(seed: UInt64) -> [Incident] {
        var rng = StageRNG(seed: seed)
        var out: [Incident] = []
        let categories = ["Assault", "Break and Enter", "Auto Theft", "Robbery"]
        let start = RFC3339.parse("2019-01-07T00:00:00Z")!
        let hours = 56 * 168
        for h in 0..<hours where h % 2 == 0 {
            let cell = GridCell(x: 40 + Int32(rng.next() % 40), y: 40 + Int32(rng.next() % 40))
            out.append(make("bg-\(h)", start + .hours(Int64(h)), category: categories[Int(rng.next() % 4)], cell: cell))
        }
        var t = start + .hours(Int64(hours))
        let bursts: [(GridCell, String, Int)] = [
            (GridCell(x: 63, y: 50), "Robbery", 6), (GridCell(x: 66, y: 50), "Robbery", 14),
            (GridCell(x: 47, y: 71), "Break and Enter", 9), (GridCell(x: 72, y: 64), "Auto Theft", 7)
        ]
        for (b, (cell, category, n)) in bursts.enumerated() {
            for i in 0..<n {
                let jitter = GridCell(x: cell.x + Int32(rng.next() % 3) - 1, y: cell.y + Int32(rng.next() % 3) - 1)
                out.append(make("b\(b)-\(i)", t, category: category, cell: jitter, east: Double(rng.next() % 60)))
                // Every third row 20 minutes behind the previous one (within the hour's lateness).
                t = t + .minutes(i % 3 == 2 ? -20 : 35)
            }
            t = t + .hours(5)
        }
        for h in 0..<(9 * 24) where h % 3 == 0 {
            let cell = GridCell(x: 40 + Int32(rng.next() % 40), y: 40 + Int32(rng.next() % 40))
            out.append(make("q-\(h)", t + .hours(Int64(h)), category: categories[Int(rng.next() % 4)], cell: cell))
        }
        return out
    }
}

/// nil when `got` is `want`; otherwise where the two lists of alert JSON first differ (a compact
/// failure message: the lists are long).
func alertDifference(_ got: [String], _ want: [String]) -> String? {
    guard got != want else { return nil }
    let i = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
    return
        "\(got.count) alerts, \(want.count) expected; first difference at \(i): got \(i < got.count ? got[i] : "nothing"), expected \(i < want.count ? want[i] : "nothing")"
}

/// The seeded SplitMix64 the other property tests of this target use.
typealias StageRNG = SystemRandomNumberGenerator.Seeded
