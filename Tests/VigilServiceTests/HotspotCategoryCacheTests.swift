import Foundation
import Testing
import VigilCore
import VigilKafka

@testable import VigilService

@Suite("/hotspots categories")
struct HotspotCategoryCacheTests {
    static let grid = MetricGrid(cellSize: 250, bounds: GeoBounds(south: 43.70, west: -79.40, north: 43.745, east: -79.3375))
    static let day0 = Timestamp(milliseconds: 1_704_067_200_000)  // 2024-01-01T00:00:00Z

    static func incident(_ id: String, _ cell: GridCell, _ time: Timestamp, _ category: String) -> Incident {
        let p = grid.centre(of: cell)
        return Incident(id: id, eventTime: time, category: category, latitude: p.latitude, longitude: p.longitude)
    }

    @Test("a hotspot that has not alerted is served with its category mix, worked out once per evaluation")
    func unannouncedHotspotHasCategories() throws {
        // Announcement waits for ten evaluations, so the evaluation itself leaves the categories out.
        var engine = IncidentEngine(
            configuration: EngineConfiguration(grid: Self.grid, hotspots: HotspotConfiguration(minimumPersistence: 10)))
        var n = 0
        for (cell, count, category) in [
            (GridCell(x: 5, y: 5), 4, "Robbery"), (GridCell(x: 6, y: 5), 6, "Assault"), (GridCell(x: 5, y: 6), 5, "Theft Over")
        ] {
            for _ in 0..<count {
                n += 1
                _ = engine.process(Self.incident("i\(n)", cell, Self.day0 + .hours(10) + .minutes(Int64(n)), category))
            }
        }
        // The next day's first incident moves the watermark past midnight: day 0 is evaluated.
        _ = engine.process(Self.incident("tick", GridCell(x: -3, y: -3), Self.day0 + .days(1) + .hours(2), "Tick"))
        let evaluated = try #require(engine.hotspotSnapshot?.hotspots.first)
        #expect(evaluated.categories.isEmpty && evaluated.announcedCells == nil)

        var cache = HotspotCategoryCache()
        let tp = TopicPartition("incidents", 0)
        let served = cache.hotspots(of: engine, partition: tp)
        #expect(served.map { $0.categories.map(\.category) } == [["Assault", "Theft Over", "Robbery"]])
        #expect(served.map { $0.categories.map(\.count) } == [[6, 5, 4]])
        #expect(cache.hotspots(of: engine, partition: tp) == served, "the same evaluation: the kept answer")

        let json = HotspotGeoJSON.encode(served.map { .init(partition: tp, hotspot: $0) }, grid: Self.grid)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        let feature = try #require((object["features"] as? [[String: Any]])?.first)
        let categories = (feature["properties"] as? [String: Any])?["categories"] as? [String: Int]
        #expect(categories == ["Assault": 6, "Theft Over": 5, "Robbery": 4])

        cache.keep(only: [])
        var stopped = IncidentEngine(configuration: EngineConfiguration(grid: Self.grid, hotspots: HotspotConfiguration()))
        _ = stopped.finish()
        #expect(cache.hotspots(of: stopped, partition: tp).isEmpty, "an engine with no evaluation has no hotspots")
    }
}
