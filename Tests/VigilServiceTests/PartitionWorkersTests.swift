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
        var engines = lanes.map { _ in IncidentEngine(configuration: Self.configuration) }
        var decisions: [[EngineDecision]] = lanes.map { _ in [] }
        let workers = PartitionWorkers(threads: threads)
        for half in 0..<2 {
            var jobs: [PartitionWorkers.Job] = []
            for (p, (_, incidents)) in lanes.enumerated() {
                let cut = incidents.count / 2
                let part = half == 0 ? Array(incidents[..<cut]) : Array(incidents[cut...])
                jobs.append(PartitionWorkers.Job(engine: engines[p], incidents: part, keepsScore: false))
            }
            let done = workers.run(jobs)
            #expect(done.count == lanes.count)
            for (p, job) in done.enumerated() {
                #expect(job.incidents.first?.id.hasPrefix("p\(p)-") == true, "jobs come back in the order given")
                #expect(job.results.count == job.incidents.count)
                engines[p] = job.engine
                decisions[p] += job.results.map(\.decision)
            }
        }
        #expect(decisions == expected)
        #expect(engines.map(\.stateDigest.digest) == expectedDigests)
    }
}
