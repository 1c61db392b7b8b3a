import Testing

@testable import VigilCore

/// The router of a scaled-out city: who owns an incident, who gets a halo copy, when the city's
/// hour ticks and its occurrence counts reach every partition.
@Suite struct TileRouterTests {
    let factory = IncidentFactory()

    func router(partitions: Int = 5, tileCells: Int32 = 8, halo: Int32 = 3) -> TileRouter {
        TileRouter(
            grid: factory.grid, partitions: partitions, tileCells: tileCells, haloCells: halo, allowedLateness: .hours(1),
            repeatWindowHours: 0)
    }

    @Test func haloReachesExactlyTheOwnersOfCellsWithinReach() {
        let r = router(partitions: 7, tileCells: 4, halo: 3)
        for x in Int32(20)..<Int32(40) {
            for y in Int32(30)..<Int32(45) {
                let cell = GridCell(x: x, y: y)
                let own = r.owner(of: cell)
                var expected = Set<Int>()
                for dx in -3...3 {
                    for dy in -3...3 { expected.insert(r.owner(of: GridCell(x: x + Int32(dx), y: y + Int32(dy)))) }
                }
                expected.remove(own)
                #expect(r.haloPartitions(of: cell, owner: own) == expected.sorted(), "cell \(cell)")
            }
        }
    }

    @Test func ticksAndCityCountsReachEveryPartitionBeforeTheIncidentThatNeedsThem() {
        var r = router(partitions: 3)
        let t0 = ts("2020-03-02T10:15:00Z")
        var messages: [[(partition: Int, message: RoutedMessage)]] = []
        let rows: [(String, Timestamp, String)] = [
            ("a", t0, "Assault"), ("b", t0 + .minutes(10), "Robbery"), ("c", t0 + .hours(1), "Assault"),
            ("d", t0 + .minutes(30), "Assault"), ("e", t0 + .hours(24 * 7), "Assault")
        ]
        for (id, time, category) in rows {
            guard case .routed(let m) = r.route(factory.make(id, time, category: category, cell: GridCell(x: 30, y: 30))) else {
                Issue.record("\(id) routed late")
                return
            }
            messages.append(m)
        }
        func ticks(_ m: [(partition: Int, message: RoutedMessage)]) -> [Int] {
            m.compactMap { if case .tick = $0.message { $0.partition } else { nil } }
        }
        #expect(ticks(messages[0]).isEmpty && ticks(messages[1]).isEmpty, "no tick within the first hour")
        #expect(ticks(messages[2]) == [0, 1, 2], "a new hour ticks every partition")
        #expect(ticks(messages[3]).isEmpty, "an older row does not tick")
        // The first week's counts go out only before the first row of the next week, all first.
        #expect(messages[0..<4].allSatisfy { $0.allSatisfy { if case .cityOccurrences = $0.message { false } else { true } } })
        let counts = messages[4].compactMap { if case .cityOccurrences(_, _, let o) = $0.message { ($0.partition, o) } else { nil } }
        #expect(counts.count == 3 * 3, "all, Assault, Robbery to each of 3 partitions")
        let all = counts.first { $0.1.layerName == nil }!.1
        let hourOfWeek = ClusterTime.hourOfWeek(ClusterTime.hour(of: t0))
        #expect(all.counts[hourOfWeek] == 3 && all.counts[hourOfWeek + 1] == 1 && all.counts.reduce(0, +) == 4)
        #expect(counts.first { $0.1.layerName == "Robbery" }!.1.counts.reduce(0, +) == 1)
        let order = messages[4].map(\.message)
        let lastCount = order.lastIndex { if case .cityOccurrences = $0 { true } else { false } }!
        let firstOther = order.firstIndex { if case .cityOccurrences = $0 { false } else { true } }!
        #expect(lastCount < firstOther, "counts before the tick and the incident")
    }

    @Test func lateRowsAreLateAsOnOneEngine() {
        var r = router()
        let t0 = ts("2020-03-02T10:15:00Z")
        _ = r.route(factory.make("a", t0 + .hours(3)))
        #expect(r.route(factory.make("b", t0)) == .late(watermark: t0 + .hours(2)))
        if case .routed = r.route(factory.make("c", t0 + .hours(2) + .minutes(1))) {} else { Issue.record("within lateness must route") }
    }

    @Test func eachPartitionsKeysStrictlyIncrease() {
        var r = router(partitions: 4, tileCells: 4)
        var rng = SplitMix64(seed: 3)
        var last = [RouteKey?](repeating: nil, count: 4)
        var t = ts("2020-01-01T00:00:00Z")
        for i in 0..<5_000 {
            t = t + .minutes(Int64(rng.next() % 90)) - .minutes(20)
            let cell = GridCell(x: 20 + Int32(rng.next() % 30), y: 20 + Int32(rng.next() % 30))
            guard case .routed(var m) = r.route(factory.make("i\(i)", t, category: ["A", "B", "C"][Int(rng.next() % 3)], cell: cell)) else {
                continue
            }
            if rng.next() % 7 == 0 { m += (r.mark() ?? []) + (r.mark() ?? []) }
            for (p, message) in m {
                if let l = last[p], case .mark = message, message.key == l { continue }  // the same mark twice: a repeat by design
                #expect(last[p].map { message.key > $0 } ?? true, "partition \(p): \(message.key) after \(String(describing: last[p]))")
                last[p] = message.key
            }
        }
    }
}
