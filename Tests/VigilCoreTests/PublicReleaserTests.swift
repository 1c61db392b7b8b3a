import Foundation
import Testing

@testable import VigilCore

@Suite("PublicReleaser and PrivacyAccountant")
struct PublicReleaserTests {
    static let domain = PublicDomain(
        neighbourhoods: ["Annex", "Moss Park"], categories: ["Assault", "Robbery"],
        grid: MetricGrid(cellSize: 1000, bounds: GeoBounds(south: 43.60, west: -79.50, north: 43.62, east: -79.48)))

    /// Daily neighbourhood releases from 2026-01-01, 4 days per epoch, ε 0.5 per epoch, lifetime 1.
    static func configuration(totalMicros: Int64 = 1_000_000) -> PublicReleaseConfiguration {
        PublicReleaseConfiguration(
            streams: [
                .init(
                    family: .neighbourhoodCategory,
                    schedule: ReleaseSchedule(period: .day, startingAt: ts("2026-01-01T00:00:00Z"), horizon: 4),
                    epsilonMicros: 500_000)
            ],
            totalMicros: totalMicros, nonNegative: false, areaTotals: true)
    }

    static func incident(_ id: String, _ time: String, _ neighbourhood: String = "Annex") -> Incident {
        Incident(id: id, eventTime: ts(time), category: "Assault", neighbourhood: neighbourhood, latitude: 43.61, longitude: -79.49)
    }

    static func releases(_ actions: [PublicReleaser.Action]) -> [PublicRelease] {
        actions.compactMap { action -> PublicRelease? in
            if case .publish(let r) = action { return r }
            return nil
        }
    }

    @Test("every scheduled period is released for every key of the domain, counts or not")
    func fixedSchedule() {
        var releaser = PublicReleaser(configuration: Self.configuration(), domain: Self.domain)
        var random = SplitMix64(seed: 1)
        #expect(releaser.advance(to: ts("2026-01-01T23:59:59Z"), using: &random).isEmpty)
        let out = Self.releases(releaser.advance(to: ts("2026-01-04T00:00:00Z"), using: &random))
        #expect(out.map(\.periodStart) == ["2026-01-01", "2026-01-02", "2026-01-03"])
        #expect(out.allSatisfy { $0.figures.map(\.area) == ["Annex", "Annex", "Moss Park", "Moss Park"] })
        #expect(out.allSatisfy { $0.areaTotals?.count == 2 })
        #expect(out.map(\.step) == [1, 2, 3])
    }

    @Test("exhaustion stops release with an action, and the budget is never overspent")
    func exhaustion() {
        var releaser = PublicReleaser(configuration: Self.configuration(), domain: Self.domain)
        var random = SplitMix64(seed: 2)
        // Epochs of 4 days at ε 0.5 within a lifetime of 1: days 1–8 are released, then it stops.
        let actions = releaser.advance(to: ts("2026-01-20T00:00:00Z"), using: &random)
        #expect(Self.releases(actions).count == 8)
        #expect(actions.last == .exhausted(stream: "neighbourhood_category/day", neededMicros: 500_000, remainingMicros: 0))
        #expect(releaser.state.accountant.spentMicros == 1_000_000)
        #expect(releaser.advance(to: ts("2026-02-20T00:00:00Z"), using: &random).isEmpty)
    }

    @Test("a restart restores the ledger: nothing is released or charged twice")
    func restart() throws {
        var first = PublicReleaser(configuration: Self.configuration(), domain: Self.domain)
        var random = SplitMix64(seed: 3)
        first.record(Self.incident("a", "2026-01-01T10:00:00Z"))
        let before = Self.releases(first.advance(to: ts("2026-01-03T00:00:00Z"), using: &random))
        #expect(before.count == 2)
        // Persist as the service does, and come back from the bytes.
        let saved = try JSONDecoder().decode(PublicReleaser.State.self, from: JSONEncoder().encode(first.state))
        var second = PublicReleaser(configuration: Self.configuration(), domain: Self.domain, restoring: saved)
        // Replay of the input: the released day is not counted again; the open day is.
        second.record(Self.incident("a", "2026-01-01T10:00:00Z"))
        second.record(Self.incident("b", "2026-01-03T10:00:00Z"))
        #expect(second.lateIncidents == 1)
        #expect(second.advance(to: ts("2026-01-02T12:00:00Z"), using: &random).isEmpty)
        let after = Self.releases(second.advance(to: ts("2026-01-04T00:00:00Z"), using: &random))
        #expect(after.map(\.periodStart) == ["2026-01-03"])
        #expect(after.map(\.step) == [3])
        #expect(second.state.accountant.spentMicros == 500_000)
        // The second epoch is charged once, even across another restart.
        _ = second.advance(to: ts("2026-01-06T00:00:00Z"), using: &random)
        var third = PublicReleaser(configuration: Self.configuration(), domain: Self.domain, restoring: second.state)
        _ = third.advance(to: ts("2026-01-08T00:00:00Z"), using: &random)
        #expect(third.state.accountant.spentMicros == 1_000_000)
        #expect(third.state.accountant.charges.count == 2)
    }

    @Test("a stream whose ε changed since the ledger was written stops instead of re-releasing")
    func changedEpsilonStops() {
        var first = PublicReleaser(configuration: Self.configuration(), domain: Self.domain)
        var random = SplitMix64(seed: 5)
        _ = first.advance(to: ts("2026-01-03T00:00:00Z"), using: &random)
        var changed = Self.configuration()
        changed.streams[0].epsilonMicros = 900_000
        var second = PublicReleaser(configuration: changed, domain: Self.domain, restoring: first.state)
        #expect(second.state.streams[0].stopped)
        #expect(second.advance(to: ts("2026-01-10T00:00:00Z"), using: &random).isEmpty)
        #expect(second.state.accountant.spentMicros == 500_000)
    }

    @Test("incidents outside the domain are not counted, and keys never come from the data")
    func domainIsFixed() {
        let config = PublicReleaseConfiguration(
            streams: [
                .init(
                    family: .neighbourhoodCategory,
                    schedule: ReleaseSchedule(period: .week, startingAt: ts("2026-01-05T00:00:00Z"), horizon: 52),
                    epsilonMicros: 1_000_000)
            ], totalMicros: 10_000_000)
        var releaser = PublicReleaser(configuration: config, domain: Self.domain)
        var random = SplitMix64(seed: 4)
        releaser.record(Self.incident("x", "2026-01-06T10:00:00Z", "Nowhere"))
        let out = Self.releases(releaser.advance(to: ts("2026-01-12T00:00:00Z"), using: &random))
        #expect(out.count == 1)
        #expect(out[0].periodStart == "2026-01-05")  // weeks start on Monday
        #expect(Set(out[0].figures.map(\.area)) == ["Annex", "Moss Park"])
        #expect(out[0].figures.allSatisfy { $0.count >= 0 && $0.runningTotal >= 0 })  // non-negative by default
    }

    @Test("accountant: idempotent charges, exhaustion, decimal ε")
    func accountant() {
        var a = PrivacyAccountant(totalMicros: PrivacyAccountant.micros("1.5")!)
        #expect(a.authorize(stream: "s", epoch: 0, costMicros: 1_000_000) == .charged(micros: 1_000_000))
        #expect(a.authorize(stream: "s", epoch: 0, costMicros: 1_000_000) == .alreadyCharged)
        #expect(a.authorize(stream: "s", epoch: 1, costMicros: 1_000_000) == .exhausted(neededMicros: 1_000_000, remainingMicros: 500_000))
        #expect(a.spentMicros == 1_000_000)
        #expect(PrivacyAccountant.micros("0.25") == 250_000)
        #expect(PrivacyAccountant.micros("0") == nil)
        #expect(PrivacyAccountant.micros("-1") == nil)
        #expect(PrivacyAccountant.micros("0.0000001") == nil)
        #expect(PrivacyAccountant.micros("abc") == nil)
        #expect(PrivacyAccountant.format(micros: 250_000) == "0.25")
        #expect(PrivacyAccountant.format(micros: 3_000_000) == "3")
    }
}
