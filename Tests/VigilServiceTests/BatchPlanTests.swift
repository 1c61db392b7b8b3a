import Testing
import VigilCore
import VigilKafka

@testable import VigilService

@Suite("batch plan: incidents grouped by partition, steps kept in arrival order")
struct BatchPlanTests {
    static func incident(_ id: String) -> Incident {
        Incident(id: id, eventTime: Timestamp(seconds: 1_614_816_000), category: "Assault", latitude: 43.65, longitude: -79.38)
    }

    @Test func lanesHoldEachPartitionsIncidentsInOrderAndStepsPointAtTheirResults() {
        let (p0, p1, p2) = (TopicPartition("t", 0), TopicPartition("t", 1), TopicPartition("t", 2))
        var plan = BatchPlan<String>()
        // Arrival order mixes partitions and a step without an engine (a dead letter).
        let arrivals: [(TopicPartition, String)?] = [(p1, "a"), (p0, "b"), (p1, "c"), nil, (p2, "d"), (p0, "e"), (p1, "f")]
        for (n, arrival) in arrivals.enumerated() {
            if let (tp, id) = arrival {
                plan.add(Self.incident(id), of: tp, offset: Int64(n), step: "step\(n)")
            } else {
                plan.add("step\(n)", of: p2, offset: Int64(n))
            }
        }
        // Each partition's first input, the dead letter's included (p2's comes before its incident).
        #expect(plan.firstInputs.map(\.partition) == [p1, p0, p2])
        #expect(plan.firstInputs.map(\.offset) == [0, 1, 3])
        // Lanes in order of first appearance, each with its partition's incidents in arrival order.
        #expect(plan.lanes.map(\.partition) == [p1, p0, p2])
        #expect(plan.lanes.map { $0.incidents.map(\.id) } == [["a", "c", "f"], ["b", "e"], ["d"]])
        // Every step in arrival order; each incident step finds its own incident through its position.
        #expect(plan.steps.map(\.step) == (0..<arrivals.count).map { "step\($0)" })
        for (n, arrival) in arrivals.enumerated() {
            let position = plan.steps[n].position
            guard let (tp, id) = arrival else {
                #expect(position == nil, "a dead letter needs no engine")
                continue
            }
            guard let found = position else {
                Issue.record("incident step \(n) has no lane position")
                continue
            }
            #expect(plan.lanes[found.lane].partition == tp)
            #expect(plan.lanes[found.lane].incidents[found.index].id == id)
        }
    }

    /// Batches after batches (lanes reuse the arrays of earlier ones, the last lane is tried
    /// first): each batch's lanes are still in order of first appearance, each holding exactly its
    /// partition's incidents in arrival order, and every step finds its own incident.
    @Test func propertyReusedLanesHoldOnlyTheirBatchInArrivalOrder() {
        var rng = SystemRandomNumberGenerator()
        var plan = BatchPlan<Int>()
        for batch in 0..<60 {
            let partitions = (0..<Int.random(in: 1...6, using: &rng)).map { TopicPartition("t", Int32($0)) }
            var expectedLanes: [TopicPartition] = []
            var expected: [TopicPartition: [String]] = [:]
            var arrivals: [(TopicPartition, String)?] = []
            var deadLetters: [Int: TopicPartition] = [:]
            var current = partitions[0]
            for n in 0..<Int.random(in: 0...300, using: &rng) {
                if Int.random(in: 0..<10, using: &rng) == 0 {
                    arrivals.append(nil)
                    deadLetters[n] = partitions.randomElement(using: &rng)!
                    continue
                }
                if Int.random(in: 0..<4, using: &rng) == 0 { current = partitions.randomElement(using: &rng)! }  // runs, as polls give
                arrivals.append((current, "b\(batch)-\(n)"))
            }
            var expectedFirsts: [(TopicPartition, Int64)] = []
            for (n, arrival) in arrivals.enumerated() {
                let tp = arrival?.0 ?? deadLetters[n]!
                if !expectedFirsts.contains(where: { $0.0 == tp }) { expectedFirsts.append((tp, Int64(n))) }
                guard let (tp, id) = arrival else {
                    plan.add(n, of: tp, offset: Int64(n))
                    continue
                }
                if expected[tp] == nil { expectedLanes.append(tp) }
                expected[tp, default: []].append(id)
                plan.add(Self.incident(id), of: tp, offset: Int64(n), step: n)
            }
            #expect(plan.firstInputs.map(\.partition) == expectedFirsts.map(\.0))
            #expect(plan.firstInputs.map(\.offset) == expectedFirsts.map(\.1))
            #expect(plan.lanes.map(\.partition) == expectedLanes)
            #expect(plan.lanes.map { $0.incidents.map(\.id) } == expectedLanes.map { expected[$0]! })
            #expect(plan.steps.map(\.step) == Array(arrivals.indices))
            for (n, arrival) in arrivals.enumerated() {
                let position = plan.steps[n].position
                #expect((position == nil) == (arrival == nil))
                if let (tp, id) = arrival, let position {
                    #expect(plan.lanes[position.lane].partition == tp)
                    #expect(plan.lanes[position.lane].incidents[position.index].id == id)
                }
            }
            plan.removeAll()
            #expect(plan.isEmpty && plan.lanes.isEmpty && plan.firstInputs.isEmpty)
        }
    }

    @Test func removeAllStartsAFreshBatch() {
        var plan = BatchPlan<Int>()
        plan.add(Self.incident("a"), of: TopicPartition("t", 3), offset: 7, step: 1)
        plan.add(2, of: TopicPartition("t", 4), offset: 9)
        plan.removeAll()
        #expect(plan.isEmpty && plan.lanes.isEmpty)
        plan.add(Self.incident("b"), of: TopicPartition("t", 5), offset: 2, step: 3)
        #expect(plan.lanes.map(\.partition) == [TopicPartition("t", 5)])
        #expect(plan.steps.first?.position == BatchPlan<Int>.LanePosition(lane: 0, index: 0))
    }
}
