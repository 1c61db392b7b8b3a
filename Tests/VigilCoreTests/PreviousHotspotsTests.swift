import Testing

@testable import VigilCore

/// `HotspotTracker.PreviousHotspots` numbers the last evaluation's hotspots and then the dormant
/// ones as one list, the order the tracker's overlaps and matching refer to.
@Suite("The hotspots an evaluation matches against, read in place")
struct PreviousHotspotsTests {
    static func hotspot(_ k: Int) -> Hotspot {
        var h = Hotspot(
            id: "hs-\(k)", openedAt: Timestamp(milliseconds: Int64(k) * 1_000), cells: (0...k).map { GridCell(x: Int32(k), y: Int32($0)) },
            count: k, maxGiStar: 2, centroid: GeoPoint(latitude: 43.7, longitude: -79.4), polygon: [], intensity: 1, categories: [],
            lastSeenAt: Timestamp(milliseconds: Int64(k) * 5_000), announcedCells: k % 2 == 0 ? k : nil)
        h.persistence = 10 + k
        return h
    }

    @Test("each index reads the hotspot of the seen list, then of the dormant list, field by field and whole")
    func numbersSeenThenDormant() {
        for (seenCount, dormantCount) in [(0, 0), (3, 0), (0, 3), (2, 4), (5, 1)] {
            let all = (0..<(seenCount + dormantCount)).map(Self.hotspot)
            let previous = HotspotTracker.PreviousHotspots(seen: Array(all[..<seenCount]), dormant: Array(all[seenCount...]))
            #expect(previous.count == all.count)
            #expect(previous.indices == all.indices)
            for i in all.indices {
                let h = all[i]
                #expect(previous.id(i) == h.id)
                #expect(previous.cells(i) == h.cells)
                #expect(previous.openedAt(i) == h.openedAt)
                #expect(previous.lastSeenAt(i) == h.lastSeenAt)
                #expect(previous.persistence(i) == h.persistence)
                #expect(previous.announcedCells(i) == h.announcedCells)
                #expect(previous.hotspot(i) == h)
            }
        }
    }
}
