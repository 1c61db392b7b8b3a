import Testing

@testable import VigilCore

/// The ids an alert cites come from `RecentIncidents`, which keeps per cell only what the rule
/// below keeps: a faster structure (tried: trimming an ordered list's prefix) must cite the same
/// ids in any arrival order, for windows ending at or before the newest hour.
@Suite struct RecentIncidentsTests {
    /// The rule as first written: append, then when the first entry is too old or the list is over
    /// its cap, drop every too-old entry, then the earliest arrivals over the cap.
    struct Reference {
        var lists: [GridCell: [RecentIncidents.Entry]] = [:]
        let keepHours: Int64

        mutating func append(cell: GridCell, hour: Int64, category: UInt16, id: String) {
            var list = lists[cell, default: []]
            list.append(RecentIncidents.Entry(hour: hour, category: category, id: id))
            let oldest = hour - keepHours
            if list[0].hour <= oldest || list.count > RecentIncidents.perCell {
                list.removeAll { $0.hour <= oldest }
                if list.count > RecentIncidents.perCell { list.removeFirst(list.count - RecentIncidents.perCell) }
            }
            lists[cell] = list
        }

        mutating func expire(currentHour: Int64) {
            lists = lists.filter { ($0.value.last?.hour ?? Int64.min) > currentHour - keepHours }
        }

        func entries(in cells: [GridCell], layer: UInt16, endHour: Int64, hours: Int64) -> [RecentIncidents.Entry] {
            cells.flatMap { lists[$0] ?? [] }
                .filter { $0.hour > endHour - hours && $0.hour <= endHour && (layer == 0 || $0.category + 1 == layer) }
                .sorted { ($0.hour, $0.id) < ($1.hour, $1.id) }
        }
    }

    /// Busy cells (over the cap), hours mostly rising with late arrivals of up to `lateness` hours
    /// (lists become unordered and ordered again), and expiry passes between.
    @Test(arguments: [0, 3, 40], [1, 2, 3])
    func citationsMatchTheReferenceRule(lateness: Int, seed: UInt64) {
        var random = SplitMix64(seed: seed &* 7919 &+ UInt64(lateness))
        let keep: Int64 = 20
        var recent = RecentIncidents(keepHours: keep)
        var reference = Reference(keepHours: keep)
        let cells = (0..<4).map { GridCell(x: Int32($0), y: 0) }
        var newest: Int64 = 1_000
        for step in 0..<6_000 {
            // About 8 incidents an hour, so the busy cell holds more than the cap within `keep`.
            if Int.random(in: 0..<8, using: &random) == 0 { newest += 1 }
            let late = Int.random(in: 0..<4, using: &random) == 0 ? Int64.random(in: 0...Int64(lateness), using: &random) : 0
            let hour = newest - late
            let cell = cells[Int.random(in: 0..<(step % 500 < 250 ? 1 : cells.count), using: &random)]
            let category = UInt16.random(in: 0..<3, using: &random)
            recent.append(cell: cell, hour: hour, category: category, id: "i\(step)")
            reference.append(cell: cell, hour: hour, category: category, id: "i\(step)")
            if step % 97 == 0 {
                recent.expire(currentHour: newest)
                reference.expire(currentHour: newest)
            }
            if step % 13 == 0 {
                let hours = Int64.random(in: 1...keep, using: &random)
                let layer = UInt16.random(in: 0...3, using: &random)
                // Windows ending before the newest hour too, where a dropped entry would show.
                let end = newest - Int64.random(in: 0...(2 * keep), using: &random)
                let got = recent.entries(in: cells, layer: layer, endHour: end, hours: hours)
                let want = reference.entries(in: cells, layer: layer, endHour: end, hours: hours)
                #expect(got.map(\.id) == want.map(\.id), "step \(step)")
                if got.map(\.id) != want.map(\.id) { return }
                // What an alert states: the counts per category and the newest few ids in order
                // (many incidents share an hour here, so the cut falls inside an hour's run).
                let newest = [1, 5, 16][step % 3]
                let cited = recent.citations(in: cells, layer: layer, endHour: end, hours: hours, newest: newest)
                #expect(cited.ids == want.suffix(newest).map(\.id), "step \(step)")
                #expect(cited.perCategory == Dictionary(want.map { ($0.category, 1) }, uniquingKeysWith: +), "step \(step)")
            }
        }
    }

    /// The ids' bytes are freed as the rule drops their entries: a long stream keeps a handful of
    /// chunks (the bytes of 100,000 ids would fill about 90).
    @Test func idBytesFollowTheEntriesStillKept() {
        var recent = RecentIncidents(keepHours: 24)
        var random = SplitMix64(seed: 11)
        var hour: Int64 = 0
        for n in 0..<100_000 {
            if n % 50 == 0 { hour += 1 }
            let cell = GridCell(x: Int32.random(in: 0..<40, using: &random), y: 0)
            recent.append(cell: cell, hour: hour, category: 0, id: "incident-\(n)")
            if n % 4_096 == 0 { recent.expire(currentHour: hour) }
        }
        recent.expire(currentHour: hour)
        #expect(recent.storedIDChunks <= 3)
        let cited = recent.entries(in: (0..<40).map { GridCell(x: $0, y: 0) }, layer: 0, endHour: hour, hours: 1)
        #expect(cited.count == 50)
        #expect(Set(cited.map(\.id)) == Set((99_950..<100_000).map { "incident-\($0)" }))
    }
}
