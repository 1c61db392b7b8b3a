import Foundation
import Testing
import VigilCore
import VigilKafka

@testable import VigilService

/// The parallel engines must decide exactly what one engine per partition decides serially.
@Suite("partition workers: engines on several threads, each partition in order")
struct PartitionWorkersTests {
    static let grid = MetricGrid(cellSize: 250, bounds: GeoBounds(south: 43.58, west: -79.64, north: 43.86, east: -79.11))
    static let configuration = EngineConfiguration(
        grid: grid,
        countRule: CountRuleConfiguration(window: .hours(24), resolution: .hours(1), threshold: 3, cooldown: .hours(2)),
        surgeRule: nil, hotspots: nil)

    /// Deterministic, uneven lanes: partition p gets 40 + 60·p incidents over a few cells, some of
    /// them late (behind the partition's watermark), so alerts and late decisions both occur.
    static func lanes() -> [(TopicPartition, [Incident])] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        return (0..<4).map { p in
            let incidents = (0..<(40 + 60 * p)).map { i -> Incident in
                let hour = Int64(i / 3) - (next(10) == 0 ? 30 : 0)
                return Incident(
                    id: "p\(p)-\(i)", eventTime: Timestamp(seconds: 1_614_816_000 + hour * 3600 + Int64(next(3600))),
                    category: ["Assault", "Robbery"][next(2)], latitude: 43.65 + Double(next(3)) * 0.003,
                    longitude: -79.38 + Double(next(3)) * 0.004)
            }
            return (TopicPartition("incidents", Int32(p)), incidents)
        }
    }

    @Test(arguments: [1, 2, 3])
    func everyPartitionGetsTheSerialDecisionsAndState(threads: Int) {
        let lanes = Self.lanes()
        // The reference: one engine per partition, fed serially on this thread.
        var expected: [[EngineDecision]] = []
        var expectedDigests: [String] = []
        for (_, incidents) in lanes {
            var engine = IncidentEngine(configuration: Self.configuration)
            expected.append(incidents.map { engine.process($0) })
            expectedDigests.append(engine.stateDigest.digest)
        }
        #expect(expected.joined().contains { if case .late = $0 { true } else { false } }, "the input has late incidents")
        #expect(expected.joined().contains { if case .accepted(let a) = $0 { !a.isEmpty } else { false } }, "the input raises alerts")

        // The same lanes in two batches (state carries over between them), run by the workers.
        var engines: [TopicPartition: IncidentEngine] = [:]
        for (tp, _) in lanes { engines[tp] = IncidentEngine(configuration: Self.configuration) }
        var decisions: [[EngineDecision]] = lanes.map { _ in [] }
        let workers = PartitionWorkers(threads: threads)
        defer { workers.shutdown() }
        for half in 0..<2 {
            var jobs: [PartitionWorkers.Job] = []
            for (tp, incidents) in lanes {
                let cut = incidents.count / 2
                let part = half == 0 ? Array(incidents[..<cut]) : Array(incidents[cut...])
                jobs.append(PartitionWorkers.Job(partition: tp, incidents: part, keepsScore: false))
            }
            let done = workers.run(jobs, engines: &engines)
            #expect(done.count == lanes.count)
            #expect(engines.count == lanes.count, "every engine is back")
            for (p, job) in done.enumerated() {
                #expect(job.incidents.first?.id.hasPrefix("p\(p)-") == true, "jobs come back in the order given")
                #expect(job.partition == lanes[p].0)
                #expect(job.results.count == job.incidents.count)
                decisions[p] += job.results.map(\.decision)
            }
        }
        #expect(decisions == expected)
        #expect(lanes.map { engines[$0.0]!.stateDigest.digest } == expectedDigests)
    }

    /// The loop sends each incident's outputs through `withOutcome`, which lends the incident
    /// and its result in place: incident i must come with the serial engine's decision for it.
    @Test func outcomesLendEachIncidentWithItsOwnResult() {
        let lanes = Self.lanes()
        var engines: [TopicPartition: IncidentEngine] = [:]
        var expected: [[(String, EngineDecision)]] = []
        var jobs: [PartitionWorkers.Job] = []
        for (tp, incidents) in lanes {
            engines[tp] = IncidentEngine(configuration: Self.configuration)
            var serial = IncidentEngine(configuration: Self.configuration)
            expected.append(incidents.map { ($0.id, serial.process($0)) })
            jobs.append(PartitionWorkers.Job(partition: tp, incidents: incidents, keepsScore: false))
        }
        let workers = PartitionWorkers(threads: 2)
        defer { workers.shutdown() }
        var done = workers.run(jobs, engines: &engines)
        #expect(done.count == lanes.count)
        var lent = 0
        for k in done.indices where k < expected.count {
            // Backwards, so an outcome read by position rather than by index would be caught.
            for i in expected[k].indices.reversed() {
                done[k].withOutcome(i) { incident, result in
                    #expect(incident.id == expected[k][i].0)
                    #expect(result.decision == expected[k][i].1, "incident \(incident.id)")
                    lent += 1
                }
            }
        }
        #expect(lent == lanes.map(\.1.count).reduce(0, +))
    }

    /// The engines read each incident in place (`IncidentEngine.process(inPlace:)`): that needs
    /// the job to be its array's only owner all the way to the thread that runs it, or the first
    /// in-place read copies the whole array (and retains every incident's strings). The array a
    /// job comes back with must be the very buffer it was given.
    @Test(arguments: [1, 2, 3])
    func jobsRunOnTheArrayTheyWereGiven(threads: Int) {
        var engines: [TopicPartition: IncidentEngine] = [:]
        var jobs: [PartitionWorkers.Job] = []
        var buffers: [UnsafeRawPointer?] = []
        for (tp, incidents) in Self.lanes() {
            engines[tp] = IncidentEngine(configuration: Self.configuration)
            var own = incidents.map { $0 }  // a buffer of its own, not shared with `lanes()`' result
            own.reserveCapacity(own.count + 1)
            buffers.append(own.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) })
            jobs.append(PartitionWorkers.Job(partition: tp, incidents: own, keepsScore: false))
            own = []
        }
        let workers = PartitionWorkers(threads: threads)
        defer { workers.shutdown() }
        var done = workers.run(consume jobs, engines: &engines)
        #expect(done.count == buffers.count)
        for (k, buffer) in buffers.enumerated() where k < done.count {
            let incidents = done[k].takeIncidents()
            #expect(incidents.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } == buffer, "job \(k)'s array was copied")
        }
    }

    /// The pipelined way: many small batches submitted before the earlier ones are completed,
    /// uneven (some partitions missing from some batches), completed in order while the helpers
    /// run ahead. Each partition's engine must still see its incidents in order, and each job's
    /// watermark must be its engine's after that job.
    @Test(arguments: [1, 2, 3])
    func batchesSubmittedAheadKeepEachPartitionInOrder(threads: Int) {
        let lanes = Self.lanes()
        var expected: [[EngineDecision]] = []
        var expectedDigests: [String] = []
        /// The serial engine's watermark after each incident.
        var serialWatermarks: [[Timestamp?]] = []
        for (_, incidents) in lanes {
            var engine = IncidentEngine(configuration: Self.configuration)
            var after: [Timestamp?] = []
            expected.append(
                incidents.map {
                    let decision = engine.process($0)
                    after.append(engine.watermark.current)
                    return decision
                })
            serialWatermarks.append(after)
            expectedDigests.append(engine.stateDigest.digest)
        }
        var engines: [TopicPartition: IncidentEngine] = [:]
        for (tp, _) in lanes { engines[tp] = IncidentEngine(configuration: Self.configuration) }
        var decisions: [[EngineDecision]] = lanes.map { _ in [] }
        var watermarkMismatches = 0
        let workers = PartitionWorkers(threads: threads)
        defer { workers.shutdown() }
        var next = lanes.map { _ in 0 }
        var pending: [PartitionWorkers.BatchID] = []
        var batch = 0
        func take(_ done: [PartitionWorkers.Job]) {
            for job in done {
                let p = Int(job.partition.partition)
                decisions[p] += job.results.map(\.decision)
                if job.watermark != serialWatermarks[p][decisions[p].count - 1] { watermarkMismatches += 1 }
            }
        }
        while next.enumerated().contains(where: { $0.element < lanes[$0.offset].1.count }) {
            var jobs: [PartitionWorkers.Job] = []
            for (p, (tp, incidents)) in lanes.enumerated() where (batch + p) % 3 != 0 && next[p] < incidents.count {
                let end = min(incidents.count, next[p] + 1 + (batch * 7 + p * 5) % 13)
                jobs.append(PartitionWorkers.Job(partition: tp, incidents: Array(incidents[next[p]..<end]), keepsScore: false))
                next[p] = end
            }
            batch += 1
            guard !jobs.isEmpty else { continue }
            pending.append(workers.submit(jobs) { engines.removeValue(forKey: $0)! })
            #expect(workers.isBusy)
            if pending.count > 2 { take(workers.complete(pending.removeFirst())) }
        }
        for id in pending { take(workers.complete(id)) }
        #expect(!workers.isBusy)
        for (tp, engine) in workers.reclaim() { engines[tp] = engine }
        #expect(engines.count == lanes.count, "every engine is back")
        #expect(decisions == expected)
        #expect(lanes.map { engines[$0.0]!.stateDigest.digest } == expectedDigests)
        #expect(watermarkMismatches == 0, "each job's watermark is the serial engine's after its last incident")
        #expect(batch > 20, "many batches, submitted ahead")
    }

    /// The shipped engine (Config/vigil.toml: every rule, Gi* hotspots, the cluster scan and the
    /// XGBoost model, the scored values kept): everything engines of different partitions might
    /// share is exercised at once on two threads. Run under ThreadSanitizer (`swift build
    /// --build-tests --sanitize=thread --scratch-path .build-tsan`) this is the race check of
    /// the parallel engines; here it checks that they decide what serial engines decide.
    @Test func theShippedEngineOnTwoThreadsDecidesWhatItDecidesSerially() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let config = try VigilConfiguration.load(
            path: root.appendingPathComponent("Config/vigil.toml").path, environment: ["VIGIL_ADMIN_LISTEN": ""]
        ).loadingFiles()
        #expect(config.engine.risk != nil, "the shipped model is loaded")
        var state: UInt64 = 0x1234_5678_9ABC_DEF1
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        // 4 partitions, 15 days each, a busy cell per partition so rules, hotspots and clusters fire.
        let lanes: [[Incident]] = (0..<4).map { p in
            (0..<600).map { i in
                // Half of them in one cell of one category (a surge there), the rest spread out.
                let busy = next(2) == 0
                return Incident(
                    id: "q\(p)-\(i)", eventTime: Timestamp(seconds: 1_614_816_000 + Int64(i) * 2160 + Int64(next(600))),
                    category: busy ? "Assault" : ["Assault", "Robbery", "Break and Enter", "Auto Theft"][next(4)],
                    latitude: 43.62 + Double(p) * 0.05 + (busy ? 0 : Double(next(40)) * 0.001),
                    longitude: -79.50 + (busy ? 0 : Double(next(60)) * 0.002))
            }
        }
        var expected: [[EngineDecision]] = []
        var expectedScores: [[Double?]] = []
        var expectedDigests: [String] = []
        for incidents in lanes {
            var engine = IncidentEngine(configuration: config.engine)
            var decisions: [EngineDecision] = []
            var scores: [Double?] = []
            for incident in incidents {
                decisions.append(engine.process(incident))
                scores.append(engine.lastScore)
            }
            expected.append(decisions)
            expectedScores.append(scores)
            expectedDigests.append(engine.stateDigest.digest)
        }
        // (The shipped config publishes only recurring cluster alerts, which 15 days cannot raise;
        // the decisions, every score and the state digests are what is compared.)
        #expect(expectedScores.joined().allSatisfy { $0 != nil }, "the model scored every incident")

        let workers = PartitionWorkers(threads: 2)
        defer { workers.shutdown() }
        var engines: [TopicPartition: IncidentEngine] = [:]
        for p in lanes.indices { engines[TopicPartition("incidents", Int32(p))] = IncidentEngine(configuration: config.engine) }
        var decisions: [[EngineDecision]] = lanes.map { _ in [] }
        var scores: [[Double?]] = lanes.map { _ in [] }
        // In batches of 50 a partition, as poll batches would come.
        for start in stride(from: 0, to: 600, by: 50) {
            let jobs = lanes.indices.map { p in
                PartitionWorkers.Job(
                    partition: TopicPartition("incidents", Int32(p)), incidents: Array(lanes[p][start..<start + 50]), keepsScore: true)
            }
            for (p, job) in workers.run(jobs, engines: &engines).enumerated() {
                decisions[p] += job.results.map(\.decision)
                scores[p] += job.results.map(\.score)
            }
        }
        #expect(decisions == expected)
        #expect(scores == expectedScores)
        let ordered = lanes.indices.map { engines[TopicPartition("incidents", Int32($0))]! }
        #expect(ordered.map(\.stateDigest.digest) == expectedDigests)
        #expect(ordered.allSatisfy { $0.hotspotSnapshot != nil }, "Gi* hotspots were evaluated")
    }
}
