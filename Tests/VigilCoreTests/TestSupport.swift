import Testing

@testable import VigilCore

/// SplitMix64: a tiny, seeded, deterministic generator so property tests replay exactly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Parses an RFC 3339 literal that the test knows to be valid.
func ts(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Timestamp {
    guard let t = RFC3339.parse(text) else {
        Issue.record("test fixture \(text) did not parse", sourceLocation: sourceLocation)
        return Timestamp(milliseconds: 0)
    }
    return t
}

/// Toronto, as in Config/vigil.toml.
let torontoBounds = GeoBounds(south: 43.58, west: -79.64, north: 43.86, east: -79.11)

/// The canonical example incident from the brief.
let canonicalMessage =
    #"{"id":"tor-mci-train-000001","event_time":"2014-03-02T08:00:00-05:00","category":"Assault","premises":"House","neighbourhood":"West Humber-Clairville","lat":43.73401277,"lon":-79.59033164,"source":"toronto-mci"}"#

/// The canonical message's fields as (key, raw JSON value) pairs, in wire order.
let canonicalFields: [(key: String, value: String)] = [
    ("id", #""tor-mci-train-000001""#),
    ("event_time", #""2014-03-02T08:00:00-05:00""#),
    ("category", #""Assault""#),
    ("premises", #""House""#),
    ("neighbourhood", #""West Humber-Clairville""#),
    ("lat", "43.73401277"),
    ("lon", "-79.59033164"),
    ("source", #""toronto-mci""#)
]

/// Builds `{"k":v,...}` from raw JSON values.
func jsonObject(_ fields: [(key: String, value: String)]) -> String {
    "{" + fields.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
}

/// The canonical fields with `key` replaced by `value` (or removed when `value` is nil).
func canonical(replacing key: String, with value: String?) -> String {
    jsonObject(
        canonicalFields.compactMap { field in
            guard field.key == key else { return field }
            return value.map { (key, $0) }
        })
}

extension IncidentDecoder {
    func decode(_ text: String) -> Result<Incident, DecodeError> { decode(Array(text.utf8)) }
}

extension Result {
    var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }

    var success: Success? {
        if case .success(let v) = self { return v }
        return nil
    }
}

/// Builds incidents placed in cells of a 250 m Toronto grid, for engine and rule tests.
struct IncidentFactory {
    let grid = MetricGrid(cellSize: 250, bounds: torontoBounds)
    static let home = GridCell(x: 40, y: 60)

    /// The centre of `cell`, moved `east` metres eastward.
    func location(_ cell: GridCell, east: Double = 0) -> (latitude: Double, longitude: Double) {
        let centre = grid.centre(of: cell)
        let metresPerDegreeLongitude = grid.project(latitude: centre.latitude, longitude: torontoBounds.west + 1).x
        return (centre.latitude, centre.longitude + east / metresPerDegreeLongitude)
    }

    func make(
        _ id: String, _ time: String, category: String = "Assault", cell: GridCell = home,
        east: Double = 0, neighbourhood: String? = "West Humber-Clairville"
    ) -> Incident {
        make(id, ts(time), category: category, cell: cell, east: east, neighbourhood: neighbourhood)
    }

    func make(
        _ id: String, _ time: Timestamp, category: String = "Assault", cell: GridCell = home,
        east: Double = 0, neighbourhood: String? = "West Humber-Clairville"
    ) -> Incident {
        let p = location(cell, east: east)
        return Incident(
            id: id, eventTime: time, category: category, premises: "House",
            neighbourhood: neighbourhood, latitude: p.latitude, longitude: p.longitude)
    }
}

extension EngineDecision {
    /// The alerts of an accepted decision; nil when the incident was late.
    var alerts: [Alert]? {
        if case .accepted(let alerts) = self { return alerts }
        return nil
    }

    /// Only the count-threshold rule's alerts (what the rule tests are about).
    var countAlerts: [Alert]? { alerts?.filter { $0.kind == .countThreshold } }
}
