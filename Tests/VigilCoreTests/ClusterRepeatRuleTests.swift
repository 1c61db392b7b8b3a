import Testing

@testable import VigilCore

/// The scan's repeat rule (`clusters.repeat_window`): an incident counts in a layer unless the last
/// occurrence counted at its point in that layer is less than the window away. The detector keeps
/// only the points that can still matter and drops the rest as its table grows; these tests check
/// that what it counts is what a model that forgets nothing counts.
@Suite struct ClusterRepeatRuleTests {
    let factory = IncidentFactory()

    /// Which layers (0: all, 1 + category) each incident counts in, by a model that keeps every
    /// point's last counted time forever.
    static func naive(_ incidents: [(point: Int, category: UInt16, ms: Int64)], windowMs: Int64) -> [[UInt16]] {
        var last: [Int: Int64] = [:]
        return incidents.map { i in
            var counted: [UInt16] = []
            for layer in [0, i.category &+ 1] {
                let key = i.point * 64 + Int(layer)
                if let t = last[key], abs(i.ms - t) < windowMs { continue }
                last[key] = i.ms
                counted.append(layer)
            }
            return counted
        }
    }

    /// 30,000 incidents at 3,000 points (half of them at 40 busy points, so repeats are common),
    /// some late by up to the allowed lateness: the detector's table passes its pruning size many
    /// times between the weekly expiry passes, and every decision must still match the model.
    @Test(arguments: [(0, UInt64(1)), (2, UInt64(2)), (24, UInt64(3))])
    func countedLayersMatchAModelThatForgetsNothing(windowHours: Int, seed: UInt64) {
        let lateness = EventDuration.hours(1)
        let configuration = ClusterScanConfiguration(repeatWindowHours: windowHours)
        var detector = ClusterDetector(
            configuration: configuration, grid: factory.grid, allowedLateness: lateness, maxKeys: 1_000_000)
        var rng = SplitMix64(seed: seed)
        let start = ts("2020-03-02T00:00:00Z").milliseconds
        var newest = start
        var rows: [(point: Int, category: UInt16, ms: Int64)] = []
        var incidents: [Incident] = []
        for n in 0..<30_000 {
            let busy = rng.next() % 2 == 0
            let point = busy ? Int(rng.next() % 40) : 40 + Int(rng.next() % 2_960)
            let category = UInt16(rng.next() % 3)
            var ms = newest + Int64(rng.next() % 240_000)  // up to 4 minutes on
            if rng.next() % 10 == 0 { ms = newest - Int64(rng.next() % UInt64(lateness.milliseconds)) }  // late, allowed
            if rng.next() % 20 == 0, let previous = rows.last, previous.ms >= newest - lateness.milliseconds {
                ms = previous.ms  // the same time again (one event's several rows)
            }
            newest = max(newest, ms)
            rows.append((point, category, ms))
            let cell = GridCell(x: 20 + Int32(point % 60), y: 20 + Int32(point / 60))
            incidents.append(
                factory.make("r-\(n)", Timestamp(milliseconds: ms), category: "c\(category)", cell: cell, east: Double(point % 7) * 10))
        }
        let expected = Self.naive(rows, windowMs: max(Int64(windowHours) * 3_600_000, 1))
        var mismatches = 0
        for (k, incident) in incidents.enumerated() {
            let (first, second) = detector.count(
                incident, hour: ClusterTime.hour(of: incident.eventTime),
                cell: factory.grid.cell(
                    latitude: incident.latitude, longitude: incident.longitude), category: rows[k].category, countsCity: true)
            let got = [first, second].compactMap { $0 }
            if got != expected[k] { mismatches += 1 }
        }
        #expect(mismatches == 0, "\(mismatches) of \(incidents.count) incidents counted differently")
        #expect(expected.joined().count < 2 * incidents.count, "the rule never suppressed anything")
    }
}
