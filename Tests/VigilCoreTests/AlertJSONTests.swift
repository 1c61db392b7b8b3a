import Foundation
import Testing

@testable import VigilCore

@Suite("AlertJSON")
struct AlertJSONTests {
    /// A real count-threshold alert (threshold 2) for `category` with the given evidence ids.
    static func sample(
        category: String = "Assault", neighbourhood: String? = "West Humber-Clairville",
        ids: [String] = ["a1", "a2", "a3", "a4"]
    ) throws -> Alert {
        let factory = IncidentFactory()
        var engine = IncidentEngine(
            configuration: EngineConfiguration(
                grid: factory.grid, countRule: CountRuleConfiguration(threshold: 2, cooldown: EventDuration(milliseconds: 0))))
        var last: Alert?
        let start = ts("2014-03-02T15:00:00.250Z")
        for (k, id) in ids.enumerated() {
            let incident = factory.make(id, start + .minutes(Int64(k) * 10), category: category, neighbourhood: neighbourhood)
            last = engine.process(incident).countAlerts?.first ?? last
        }
        return try #require(last)
    }

    static func parse(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(bytes))
        return try #require(object as? [String: Any], sourceLocation: sourceLocation)
    }

    @Test("encodes every required key with the right values")
    func requiredKeys() throws {
        let alert = try Self.sample()
        let json = try Self.parse(AlertJSON.encode(alert, detectedAt: nil))
        let required = [
            "id", "kind", "rule", "severity", "summary", "event_time", "key", "location", "window", "evidence", "incident_ids", "source"
        ]
        for key in required { #expect(json[key] != nil, "\(key)") }
        #expect(Set(json.keys) == Set(required + ["neighbourhood"]))
        #expect(json["id"] as? String == alert.id)
        #expect(json["kind"] as? String == "count_threshold")
        #expect(json["rule"] as? String == "category_cell_count")
        #expect(json["severity"] as? String == "high", "4 ≥ 2 × threshold 2")
        #expect(json["event_time"] as? String == "2014-03-02T15:30:00.250Z")
        #expect(json["source"] as? String == "vigil")
        #expect(json["neighbourhood"] as? String == "West Humber-Clairville")
        let key = try #require(json["key"] as? [String: Any])
        #expect(key["category"] as? String == "Assault" && key["cell"] as? String == "x40y60")
        let location = try #require(json["location"] as? [String: Any])
        let lat = try #require((location["lat"] as? NSNumber)?.doubleValue)
        let lon = try #require((location["lon"] as? NSNumber)?.doubleValue)
        #expect(abs(lat - alert.latitude) <= 5e-7 && abs(lon - alert.longitude) <= 5e-7, "6 decimal places")
        let text = String(decoding: AlertJSON.encode(alert, detectedAt: nil), as: UTF8.self)
        #expect(text.contains("\"lat\":\((alert.latitude * 1e6).rounded() / 1e6),"), "rounded to 6 places")
        #expect(location["cell"] as? String == "x40y60")
        #expect((location["cell_size_m"] as? NSNumber)?.doubleValue == 250)
        let window = try #require(json["window"] as? [String: Any])
        #expect(window["start"] as? String == "2014-03-01T16:00:00Z")
        #expect(window["end"] as? String == "2014-03-02T16:00:00Z")
        #expect((window["duration_s"] as? NSNumber)?.intValue == 86_400)
        let evidence = try #require(json["evidence"] as? [String: Any])
        #expect((evidence["count"] as? NSNumber)?.intValue == 4 && (evidence["threshold"] as? NSNumber)?.intValue == 2)
        #expect(json["incident_ids"] as? [String] == ["a1", "a2", "a3", "a4"])
    }

    @Test("the deterministic form is byte-identical for equal alerts; source is configurable")
    func deterministicBytes() throws {
        let a = AlertJSON.encode(try Self.sample(), detectedAt: nil)
        let b = AlertJSON.encode(try Self.sample(), detectedAt: nil)
        #expect(a == b)
        #expect(a.first == UInt8(ascii: "{") && a.last == UInt8(ascii: "}"))
        #expect(!a.contains(UInt8(ascii: "\n")) && !String(decoding: a, as: UTF8.self).contains("\": "), "compact")
        let custom = try Self.parse(AlertJSON.encode(try Self.sample(), detectedAt: nil, source: "replay"))
        #expect(custom["source"] as? String == "replay")
    }

    @Test("detected_at is present only when given")
    func detectedAt() throws {
        let alert = try Self.sample()
        let without = try Self.parse(AlertJSON.encode(alert, detectedAt: nil))
        #expect(without["detected_at"] == nil)
        let with = try Self.parse(AlertJSON.encode(alert, detectedAt: Timestamp(milliseconds: 1_393_776_001_005)))
        #expect(with["detected_at"] as? String == "2014-03-02T16:00:01.005Z")
        #expect(Set(with.keys).subtracting(without.keys) == ["detected_at"])
    }

    @Test("neighbourhood is omitted when unknown")
    func optionalNeighbourhood() throws {
        let json = try Self.parse(AlertJSON.encode(try Self.sample(neighbourhood: nil), detectedAt: nil))
        #expect(json["neighbourhood"] == nil)
    }

    /// Property: arbitrary strings (quotes, backslashes, every control character, non-ASCII)
    /// survive encoding and Foundation's decoding unchanged, scalar for scalar.
    /// (U+FEFF is left out: Foundation on Linux drops it at the start of a string or after an
    /// escape when decoding; JSONWriterTests checks it is written through unchanged.)
    @Test("strings round-trip through JSONSerialization (random strings)")
    func stringRoundTrip() throws {
        var rng = SplitMix64(seed: 0x57A1)
        let pool: [Unicode.Scalar] =
            (0..<0x20).map { Unicode.Scalar(UInt8($0)) }
            + ["\"", "\\", "/", "'", "a", "Z", "0", " ", "\u{7F}", "é", "ß", "中", "😀", "\u{2028}", "\u{2029}", "\u{10FFFF}"]
        func random() -> String {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...24, using: &rng) { s.append(pool.randomElement(using: &rng)!) }
            return String(s)
        }
        func scalars(_ s: String?) -> [Unicode.Scalar]? { s.map { Array($0.unicodeScalars) } }
        for _ in 0..<500 {
            let category = random()
            let neighbourhood = random()
            let ids = [random(), random()]
            let source = random()
            let bytes = AlertJSON.encode(
                try Self.sample(category: category, neighbourhood: neighbourhood, ids: ids),
                detectedAt: nil, source: source)
            #expect(!bytes.contains { $0 < 0x20 }, "control characters are escaped")
            let json = try Self.parse(bytes)
            let key = try #require(json["key"] as? [String: Any])
            #expect(scalars(key["category"] as? String) == scalars(category))
            #expect(scalars(json["neighbourhood"] as? String) == scalars(neighbourhood))
            #expect(scalars(json["source"] as? String) == scalars(source))
            #expect((json["incident_ids"] as? [String])?.map { Array($0.unicodeScalars) } == ids.map { Array($0.unicodeScalars) })
        }
    }
}
