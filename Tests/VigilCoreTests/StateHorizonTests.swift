import Testing
import VigilCore

@Suite("Engine state horizon: how far a rebuild must replay")
struct StateHorizonTests {
    let grid = MetricGrid(cellSize: 250, bounds: GeoBounds(south: 43.58, west: -79.64, north: 43.86, east: -79.11))

    @Test func theSurgeBaselineDominatesTheDefaults() {
        let config = EngineConfiguration(grid: grid)
        let surge = SurgeRuleConfiguration()
        let expected =
            8 * EventDuration.days(7).milliseconds + surge.window.milliseconds + surge.cooldown.milliseconds
            + EventDuration.hours(1).milliseconds
        #expect(config.stateHorizon.milliseconds == expected)
    }

    @Test func everyStatefulPartCanSetTheHorizon() {
        let windowsOnly = EngineConfiguration(
            grid: grid, allowedLateness: .hours(2), windows: [WindowSpec(horizon: .days(3), resolution: .hours(1))],
            countRule: nil, surgeRule: nil, hotspots: nil)
        #expect(
            windowsOnly.stateHorizon
                == EventDuration(milliseconds: EventDuration.days(3).milliseconds + EventDuration.hours(2).milliseconds))

        let hotspots = HotspotConfiguration()
        let withHotspots = EngineConfiguration(
            grid: grid, allowedLateness: .hours(1), windows: [WindowSpec(horizon: .days(1), resolution: .hours(1))],
            countRule: nil, surgeRule: nil, hotspots: hotspots)
        let reach =
            hotspots.window.horizon.milliseconds + hotspots.closeAfter.milliseconds
            + Int64(hotspots.minimumPersistence) * hotspots.evaluateEvery.milliseconds
        #expect(withHotspots.stateHorizon.milliseconds == reach + EventDuration.hours(1).milliseconds)
    }
}
