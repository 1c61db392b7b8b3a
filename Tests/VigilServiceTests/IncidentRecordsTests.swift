import Testing
import VigilCore

@testable import VigilService

/// The page's ring keeps incidents as packed records: what it hands back must be exactly the
/// entries it was given, the newest `capacity` of them, whatever their text (long ids kept aside,
/// no neighbourhood, non-ASCII names) and however the batches fall against the ring's wrap.
@Suite struct IncidentRecordsTests {
    @Test(arguments: [1, 7, 64])
    func theRingReturnsWhatAModelOfItKeeps(capacity: Int) {
        var rng = SystemRandomNumberGenerator.Seeded(seed: UInt64(capacity))
        let ring = RecentIncidents(capacity: capacity)
        var model: [RecentIncidents.Entry] = []
        let names = ["Waterfront Communities-The Island (77)", "Annex", "Étobicoke–Centre", ""]
        var serial = 0
        for _ in 0..<60 {
            var batch = IncidentRecords()
            for _ in 0..<Int.random(in: 0...(2 * capacity + 3), using: &rng) {
                serial += 1
                // Mostly short ids; now and then one longer than a record holds.
                let id = Bool.random(using: &rng) && serial % 5 == 0 ? String(repeating: "x", count: 120) + "-\(serial)" : "tor-\(serial)"
                let e = RecentIncidents.Entry(
                    id: id, eventTime: Timestamp(milliseconds: Int64(serial) * 1_000 - 7),
                    category: ["Assault", "Break and Enter", "Robbery"][serial % 3],
                    neighbourhood: serial % 4 == 0 ? nil : names[serial % names.count],
                    latitude: 43.6 + Double(serial) * 1e-7, longitude: -79.4 - Double(serial) * 3e-7)
                batch.append(
                    id: e.id, eventTime: e.eventTime, category: e.category, neighbourhood: e.neighbourhood, latitude: e.latitude,
                    longitude: e.longitude)
                model.append(e)
            }
            ring.append(batch)
            let kept = Array(model.suffix(capacity).reversed())
            #expect(ring.count == kept.count)
            #expect(ring.newest(capacity + 5) == kept)
            #expect(ring.newest(2) == Array(kept.prefix(2)))
            let wanted = Set(model.suffix(3 * capacity).map(\.id).shuffled(using: &rng).prefix(4))
            #expect(ring.find(wanted) == kept.filter { wanted.contains($0.id) })
        }
    }
}
