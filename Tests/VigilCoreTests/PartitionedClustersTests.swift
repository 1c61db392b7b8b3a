import Testing

@testable import VigilCore

/// Scaled out by tile, the city's cluster alerts are exactly one engine's (issue 18): same ids,
/// kinds, windows and evidence, for any number of partitions and tile size, including clusters
/// that straddle tiles, one partition's cylinder feeding another partition's cluster, and
/// incidents out of order within the lateness.
@Suite struct PartitionedClustersTests {
    let factory = IncidentFactory()
    static let scan = ClusterScanConfiguration(
        calibrations: ClusterScanConfiguration.uniform(RecurrenceCalibration(a: -14, b: 1)), minRecurrenceDays: 365)
    static let start = ts("2019-01-07T00:00:00Z")

    var configuration: EngineConfiguration {
        EngineConfiguration(
            grid: factory.grid, countRule: nil, surgeRule: nil, hotspots: nil, clusters: Self.scan,
            alertKinds: [.clusterEmerging, .clusterGrew, .clusterEnded])
    }

    /// 56 weeks of background over a 40×40-cell area (many tiles), then bursts on tile borders,
    /// a second burst next to the first in the neighbouring tile, rows out of order, and quiet days
    /// so that every cluster ends.
    func stream(seed: UInt64) -> [Incident] {
        var rng = SplitMix64(seed: seed)
        var out: [Incident] = []
        let categories = ["Assault", "Break and Enter", "Auto Theft", "Robbery"]
        let hours = 56 * 168
        for h in 0..<hours where h % 2 == 0 {
            let cell = GridCell(x: 40 + Int32(rng.next() % 40), y: 40 + Int32(rng.next() % 40))
            out.append(factory.make("bg-\(h)", Self.start + .hours(Int64(h)), category: categories[Int(rng.next() % 4)], cell: cell))
        }
        var t = Self.start + .hours(Int64(hours))
        // A burst on the border between tiles x 56..63 and 64..71, then a larger one three cells east.
        let bursts: [(GridCell, String, Int)] = [
            (GridCell(x: 63, y: 50), "Robbery", 6), (GridCell(x: 66, y: 50), "Robbery", 14),
            (GridCell(x: 47, y: 71), "Break and Enter", 9), (GridCell(x: 72, y: 64), "Auto Theft", 7)
        ]
        for (b, (cell, category, n)) in bursts.enumerated() {
            for i in 0..<n {
                let jitter = GridCell(x: cell.x + Int32(rng.next() % 3) - 1, y: cell.y + Int32(rng.next() % 3) - 1)
                out.append(factory.make("b\(b)-\(i)", t, category: category, cell: jitter, east: Double(rng.next() % 60)))
                // Every third row 20 minutes behind the previous one (within the hour's lateness).
                t = t + .minutes(i % 3 == 2 ? -20 : 35)
            }
            t = t + .hours(5)
        }
        for h in 0..<(9 * 24) where h % 3 == 0 {
            let cell = GridCell(x: 40 + Int32(rng.next() % 40), y: 40 + Int32(rng.next() % 40))
            out.append(factory.make("q-\(h)", t + .hours(Int64(h)), category: categories[Int(rng.next() % 4)], cell: cell))
        }
        return out
    }

    func oneEngine(_ incidents: [Incident]) -> [Alert] {
        var engine = IncidentEngine(configuration: configuration)
        return incidents.flatMap { engine.process($0).alerts ?? [] }
    }

    func scaledOut(_ incidents: [Incident], partitions: Int, tileCells: Int32, haloCells: Int32? = nil) -> (
        alerts: [Alert], city: PartitionedClusters
    ) {
        var city = PartitionedClusters(configuration: configuration, partitions: partitions, tileCells: tileCells, haloCells: haloCells)
        let alerts = incidents.flatMap { city.process($0) }
        return (alerts, city)
    }

    @Test(arguments: [(2, 8), (3, 4), (7, 8)] as [(Int, Int32)]) func partitionsSayWhatOneEngineSays(partitions: Int, tileCells: Int32) {
        let incidents = stream(seed: 5)
        let reference = oneEngine(incidents)
        let kinds = Set(reference.map(\.kind))
        #expect(kinds == [.clusterEmerging, .clusterGrew, .clusterEnded], "the stream must exercise every kind: \(kinds)")
        let (alerts, city) = scaledOut(incidents, partitions: partitions, tileCells: tileCells)
        #expect(alerts.map { AlertJSON.encode($0, detectedAt: nil) } == reference.map { AlertJSON.encode($0, detectedAt: nil) })
        #expect(city.received.allSatisfy { $0.owned > 0 && $0.halo > 0 }, "every partition owns tiles and receives halo copies")
    }

    @Test func aClusterGrowsFromACylinderAnotherPartitionCounted() {
        let incidents = stream(seed: 5)
        let reference = oneEngine(incidents)
        let (alerts, city) = scaledOut(incidents, partitions: 2, tileCells: 8)
        #expect(alerts.map { AlertJSON.encode($0, detectedAt: nil) } == reference.map { AlertJSON.encode($0, detectedAt: nil) })
        let centres = Dictionary(
            reference.filter { $0.kind == .clusterEmerging }.map { ($0.cluster!.id, $0.cell) }, uniquingKeysWith: { a, _ in a })
        let crossing = reference.filter {
            $0.kind == .clusterGrew && centres[$0.cluster!.id].map { c in city.router.owner(of: c) } != city.router.owner(of: $0.cell)
        }
        #expect(!crossing.isEmpty, "the stream no longer has a cluster fed from another partition's tile")
    }

    @Test func withoutTheHaloPartitionsDisagree() {
        let incidents = stream(seed: 5)
        let reference = oneEngine(incidents).map { AlertJSON.encode($0, detectedAt: nil) }
        let (alerts, _) = scaledOut(incidents, partitions: 3, tileCells: 8, haloCells: 0)
        #expect(alerts.map { AlertJSON.encode($0, detectedAt: nil) } != reference)
    }

    /// Through the topics' bytes and back, checked to be the same message.
    static func wire(_ m: RoutedMessage) -> RoutedMessage {
        let back = try? RoutedMessageCodec.decode(RoutedMessageCodec.encode(m))
        #expect(back == m)
        return back ?? m
    }

    static func wire(_ o: ScanOutput) -> ScanOutput {
        let back = try? ScanOutputCodec.decode(ScanOutputCodec.encode(o))
        #expect(back == o)
        return back ?? o
    }

    /// Routed messages partly sent twice (a router restart), the partitions' findings through the
    /// topics' bytes, delivered to the lifecycle in any interleaving, released at any
    /// moment, with a partition re-sending a few outputs now and then (a restart, at-least-once):
    /// the same alerts.
    @Test(arguments: [1, 2, 3] as [UInt64]) func anyInterleavingWithRepeatsGivesTheSameAlerts(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let incidents = stream(seed: 5)
        let reference = oneEngine(incidents).map { AlertJSON.encode($0, detectedAt: nil) }
        let n = 4
        var router = TileRouter(
            grid: factory.grid, partitions: n, tileCells: 8, haloCells: 3, allowedLateness: configuration.allowedLateness,
            repeatWindowHours: Self.scan.repeatWindowHours)
        var partitions = Array(repeating: ScanPartition(configuration: configuration), count: n)
        var streams = [[ScanOutput]](repeating: [], count: n)
        var sent = [[(RoutedMessage, Incident)]](repeating: [], count: n)
        for incident in incidents {
            guard case .routed(var messages) = router.route(incident) else { continue }
            if rng.next() % 50 == 0 { messages += router.mark() ?? [] }
            for (p, m) in messages {
                streams[p] += partitions[p].apply(Self.wire(m), incident: incident).map(Self.wire)
                sent[p].append((m, incident))
            }
            if rng.next() % 100 == 0 {
                // The router restarted: a partition receives again what it received since a commit.
                let p = Int(rng.next() % UInt64(n))
                for (m, i) in sent[p].suffix(Int(rng.next() % 12)) { #expect(partitions[p].apply(m, incident: i).isEmpty) }
            }
        }
        #expect(partitions.contains { $0.repeats > 0 })
        for (p, m) in router.mark() ?? [] { streams[p] += partitions[p].apply(Self.wire(m), incident: nil).map(Self.wire) }

        var merge = FindingsMerge(partitions: n)
        var lifecycle = ClusterLifecycle(configuration: Self.scan, grid: factory.grid)
        var conflicts = 0
        var next = [Int](repeating: 0, count: n)
        var alerts: [Alert] = []
        while (0..<n).contains(where: { next[$0] < streams[$0].count }) {
            let p = Int(rng.next() % UInt64(n))
            for _ in 0..<(1 + Int(rng.next() % 40)) where next[p] < streams[p].count {
                let taken = merge.receive(streams[p][next[p]], from: p)
                #expect(taken)
                next[p] += 1
            }
            if rng.next() % 8 == 0 {
                for i in (next[p] - min(next[p], Int(rng.next() % 6)))..<next[p] {
                    let taken = merge.receive(streams[p][i], from: p)
                    #expect(!taken, "a repeat must be dropped")
                }
            }
            if rng.next() % 3 == 0 { alerts += PartitionedClusters.apply(merge.release(), to: &lifecycle, conflicts: &conflicts) }
        }
        alerts += PartitionedClusters.apply(merge.release(), to: &lifecycle, conflicts: &conflicts)
        #expect(alerts.map { AlertJSON.encode($0, detectedAt: nil) } == reference)
        #expect(merge.repeats > 0)
        #expect(conflicts == 0 && merge.conflicts == 0, "one layout: no finding contradicts it")
    }

    /// A significant cylinder as a partition reports it (its numbers do not matter here).
    static let candidate = ClusterCandidate(
        finding: ClusterFinding(
            cylinder: ScanCylinder(
                centre: GridCell(x: 1, y: 1), layer: 0, radiusCells: 1, cellCount: 5, durationHours: 3, endHour: 10, observed: 4,
                expected: 0.1, baselineWeight: 2, llr: 9, surprise: 30),
            layerName: nil, citations: ["a"], categories: []),
        eventTime: ts("2020-01-01T10:00:00Z"), neighbourhood: nil)

    @Test func aCandidateWaitsUntilEveryPartitionHasPassedIt() {
        var merge = FindingsMerge(partitions: 3)
        let c = Self.candidate
        merge.receive(.candidate(sequence: 7, c), from: 1)
        merge.receive(.mark(sequence: 9), from: 0)
        #expect(merge.release().isEmpty, "partition 2 has sent nothing yet")
        merge.receive(.rechecks(sequence: 7, hour: 10, results: []), from: 2)
        merge.receive(.rechecks(sequence: 7, hour: 10, results: []), from: 0)
        let repeated = merge.receive(.rechecks(sequence: 7, hour: 10, results: []), from: 0)
        #expect(!repeated, "behind partition 0's progress")
        #expect(merge.release() == [.tick(hour: 10, results: [])], "the tick is complete, the candidate after it is not")
        merge.receive(.mark(sequence: 7), from: 2)
        #expect(merge.release() == [.candidate(c)])
    }

    /// Two partitions claiming one incident (a layout changed under a running city) must not stop
    /// the lifecycle, which would stop again at every rebuild: the first is kept, the conflict counted.
    @Test func twoOwnersOfOneIncidentAreCountedNotFatal() {
        var merge = FindingsMerge(partitions: 2)
        let c = Self.candidate
        var other = c
        other.neighbourhood = "elsewhere"
        merge.receive(.candidate(sequence: 3, c), from: 0)
        merge.receive(.candidate(sequence: 3, other), from: 1)
        merge.receive(.mark(sequence: 3), from: 0)
        merge.receive(.mark(sequence: 3), from: 1)
        #expect(merge.release() == [.candidate(c)], "the first claim is kept")
        #expect(merge.conflicts == 1)
    }
}
