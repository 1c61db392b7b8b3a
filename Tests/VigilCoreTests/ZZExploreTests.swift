import Testing
@testable import VigilCore

@Suite struct ZZExplore {
    func run(_ name: String, window: WindowSpec, persistence: Int = 1, plan: [Int: [(GridCell, Int)]], days: Int) {
        print("=====", name)
        let grid = MetricGrid(cellSize: 250, bounds: GeoBounds(south: 43.70, west: -79.40, north: 43.745, east: -79.3375))
        let t = HotspotTracker(configuration: HotspotConfiguration(), grid: grid)
        print("columns", t.columns, "rows", t.rows)
        var engine = IncidentEngine(configuration: EngineConfiguration(grid: grid, countRule: nil, surgeRule: nil,
            hotspots: HotspotConfiguration(window: window, evaluateEvery: .days(1), minimumPersistence: persistence)))
        let day0 = Timestamp(milliseconds: 1_704_067_200_000)
        func inc(_ id: String, _ c: GridCell, _ t: Timestamp, _ cat: String = "Assault") -> Incident {
            let p = grid.centre(of: c)
            return Incident(id: id, eventTime: t, category: cat, latitude: p.latitude, longitude: p.longitude)
        }
        var n = 0
        for d in 0..<days {
            let dt = day0 + .days(Int64(d))
            n += 1
            let alerts = engine.process(inc("tick\(d)", GridCell(x: -3, y: -3), dt + .hours(2), "Tick")).alerts ?? []
            let snap = engine.hotspotSnapshot
            print("day", d, "hot", snap?.giStar.hot.map { "\($0.cell)" } ?? [])
            print("   hotspots", snap?.hotspots.map { "\($0.id) \($0.cells.count) p\($0.persistence) a\($0.announcedCells ?? -1)" } ?? [])
            for a in alerts { print("   ALERT", a.kind, a.hotspot!.id, a.hotspot!.cells.count, a.hotspot!.previousCells ?? -1, a.hotspot!.mergedWith) }
            for (c, k) in plan[d] ?? [] { for j in 0..<k { n += 1; _ = engine.process(inc("i\(n)", c, dt + .hours(10) + .minutes(Int64(j)))) } }
        }
    }
    @Test func growth() {
        run("growth", window: WindowSpec(horizon: .days(28), resolution: .days(1)), plan: [
            0: [(GridCell(x: 5, y: 5), 5), (GridCell(x: 6, y: 5), 5), (GridCell(x: 5, y: 6), 5)],
            1: [(GridCell(x: 6, y: 6), 5)],
            2: [(GridCell(x: 7, y: 6), 5)],
            3: [(GridCell(x: 7, y: 7), 5)],
            4: [(GridCell(x: 8, y: 7), 5)],
            5: [(GridCell(x: 8, y: 8), 5)],
            6: [(GridCell(x: 9, y: 8), 5)],
        ], days: 9)
    }
    @Test func merge() {
        run("merge", window: WindowSpec(horizon: .days(28), resolution: .days(1)), plan: [
            0: [(GridCell(x: 3, y: 5), 6), (GridCell(x: 4, y: 5), 6), (GridCell(x: 3, y: 6), 6), (GridCell(x: 4, y: 6), 6),
                (GridCell(x: 12, y: 5), 6), (GridCell(x: 13, y: 5), 6), (GridCell(x: 12, y: 6), 6)],
            2: [(GridCell(x: 6, y: 5), 6), (GridCell(x: 8, y: 5), 6), (GridCell(x: 10, y: 5), 6), (GridCell(x: 7, y: 5), 6), (GridCell(x: 9, y: 5), 6)],
        ], days: 5)
    }
}
