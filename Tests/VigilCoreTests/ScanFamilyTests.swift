import Foundation
import Testing

@testable import VigilCore

/// Each family of findings (one category or all categories, shorter than `long_from` or not) is
/// judged by its own recurrence calibration: a burst alerts through whichever family is switched
/// on, and its recurrence interval is that family's.
@Suite struct ScanFamilyTests {
    let factory = IncidentFactory()
    /// A calibration under which a family never alerts (RI ≈ e^-1000 days).
    static let off = RecurrenceCalibration(a: -1000, b: 1e-9)
    /// RI = e^(surprise − 14) days (365 days at surprise ≈ 19.9), as in ClusterScanTests.
    static let on = RecurrenceCalibration(a: -14, b: 1)

    func configuration(only family: ScanFamily) -> ClusterScanConfiguration {
        var calibrations = ClusterScanConfiguration.uniform(Self.off)
        calibrations[family.rawValue] = Self.on
        return ClusterScanConfiguration(calibrations: calibrations, minRecurrenceDays: 365)
    }

    /// The first cluster_emerging of 6 Robberies within 100 minutes at a quiet cell, after 60 weeks
    /// of background (one incident every 3 hours over 40 × 40 cells).
    func firstEmerging(_ scan: ClusterScanConfiguration) -> Alert? {
        var engine = IncidentEngine(
            configuration: EngineConfiguration(
                grid: factory.grid, countRule: nil, surgeRule: nil, hotspots: nil, clusters: scan,
                alertKinds: [.clusterEmerging]))
        var rng = SplitMix64(seed: 11)
        let start = ts("2019-01-07T00:00:00Z")
        let categories = ["Assault", "Break and Enter", "Auto Theft", "Robbery"]
        for h in stride(from: 0, to: 60 * 168, by: 3) {
            let cell = GridCell(x: 40 + Int32(rng.next() % 40), y: 40 + Int32(rng.next() % 40))
            _ = engine.process(factory.make("bg-\(h)", start + .hours(Int64(h)), category: categories[Int(rng.next() % 4)], cell: cell))
        }
        let end = start + .hours(60 * 168)
        for i in 0..<6 {
            let t = end + .minutes(Int64(20 * i))
            let alerts =
                engine.process(
                    factory.make("burst-\(i)", t, category: "Robbery", cell: GridCell(x: 100, y: 20), east: Double(i) * 30)
                ).alerts ?? []
            if let a = alerts.first(where: { $0.kind == .clusterEmerging }) { return a }
        }
        return nil
    }

    @Test(arguments: ScanFamily.allCases)
    func aBurstAlertsThroughTheOneFamilySwitchedOn(family: ScanFamily) throws {
        let alert = try #require(firstEmerging(configuration(only: family)), "no alert with only \(family) on")
        let c = try #require(alert.cluster)
        let allLayer = family == .allShort || family == .allLong
        #expect(c.layer == (allLayer ? nil : "Robbery"))
        let long = family == .categoryLong || family == .allLong
        #expect(long ? c.durationHours >= 24 : c.durationHours < 24)
        // The interval is the family's: e^(surprise − 14), not the off calibration's.
        #expect(abs(c.recurrenceDays - exp(c.surprise - 14)) <= 1e-9 * c.recurrenceDays)
        #expect(c.recurrenceDays >= 365)
    }

    @Test func withEveryFamilyOffNothingAlerts() {
        let scan = ClusterScanConfiguration(calibrations: ClusterScanConfiguration.uniform(Self.off), minRecurrenceDays: 365)
        #expect(firstEmerging(scan) == nil)
    }

    @Test func theFamilyOfACylinderFollowsLayerAndLength() {
        let c = ClusterScanConfiguration(longFromHours: 24)
        #expect(c.family(layer: 0, durationHours: 23) == .allShort)
        #expect(c.family(layer: 0, durationHours: 24) == .allLong)
        #expect(c.family(layer: 3, durationHours: 1) == .categoryShort)
        #expect(c.family(layer: 3, durationHours: 168) == .categoryLong)
        #expect(ScanFamily.allCases.map(\.key) == ["calibration", "calibration_long", "calibration_all", "calibration_all_long"])
    }

    @Test func anInvalidFamilyCalibrationIsNamedByItsKey() {
        var calibrations = ClusterScanConfiguration.defaultCalibrations
        calibrations[ScanFamily.allLong.rawValue] = RecurrenceCalibration(a: 0, b: 0)
        let problems = ClusterScanConfiguration(calibrations: calibrations).problems(cellSize: 250)
        #expect(problems.map(\.key) == ["calibration_all_long"])
    }
}

/// A reload may change the families' calibrations in place, but not where they split.
@Suite struct ScanFamilyReloadTests {
    let factory = IncidentFactory()

    func engine(_ scan: ClusterScanConfiguration) -> EngineConfiguration {
        EngineConfiguration(
            grid: factory.grid, countRule: nil, surgeRule: nil, hotspots: nil, clusters: scan, alertKinds: [.clusterEmerging])
    }

    @Test func calibrationsReloadInPlaceButLongFromIsStructural() {
        let old = engine(ClusterScanConfiguration())
        var calibrations = ClusterScanConfiguration.defaultCalibrations
        calibrations[ScanFamily.allLong.rawValue] = RecurrenceCalibration(a: -5, b: 0.5)
        #expect(engine(ClusterScanConfiguration(calibrations: calibrations)).isRuleUpdate(of: old))
        #expect(!engine(ClusterScanConfiguration(longFromHours: 12)).isRuleUpdate(of: old))
    }
}
