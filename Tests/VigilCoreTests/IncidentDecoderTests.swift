import Foundation
import Testing

@testable import VigilCore

private let expectedCanonical = Incident(
    id: "tor-mci-train-000001", eventTime: Timestamp(seconds: 1_393_765_200), category: "Assault",
    premises: "House", neighbourhood: "West Humber-Clairville", latitude: 43.73401277, longitude: -79.59033164)

private func expectFailure(
    _ result: Result<Incident, DecodeError>, _ reason: DecodeError.Reason, field: String?? = .none,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error = result.failure else {
        Issue.record("expected \(reason.rawValue), decoded \(String(describing: result.success))", sourceLocation: sourceLocation)
        return
    }
    #expect(error.reason == reason, "\(error)", sourceLocation: sourceLocation)
    if case .some(let field) = field {
        #expect(error.field == field, "\(error)", sourceLocation: sourceLocation)
    }
    #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
}

@Suite("IncidentDecoder")
struct IncidentDecoderTests {
    let decoder = IncidentDecoder()
    let toronto = IncidentDecoder(bounds: torontoBounds)

    // MARK: Success

    @Test("decodes the canonical message exactly")
    func canonicalMessage() throws {
        let incident = try toronto.decode(VigilCoreTests.canonicalMessage).get()
        #expect(incident == expectedCanonical)
        #expect(RFC3339.format(incident.eventTime) == "2014-03-02T13:00:00Z")
        #expect(incident.latitude.bitPattern == (43.73401277 as Double).bitPattern)
        #expect(incident.longitude.bitPattern == (-79.59033164 as Double).bitPattern)
        // The borrowed-bytes entry point gives the same answer.
        let bytes = Array(VigilCoreTests.canonicalMessage.utf8)
        let viaPointer = bytes.withUnsafeBytes { toronto.decode($0) }
        #expect(viaPointer == .success(expectedCanonical))
    }

    @Test(
        "skips unknown fields of every JSON type, wherever they are",
        arguments: [
            #"{"a":{"b":[1,2,{"c":null}],"d":"x"},"e":[]}"#,
            #"[[],[[]],{},[{"k":[true,false,null]}]]"#,
            #""esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00 {[,:]}""#,
            "-1.5e-3", "2E+10", "1e5", "0", "-0.0", "12345678901234567890123", "0.000001",
            "true", "false", "null", #""""#, "{}", "[]", #"{"id":1,"lat":"x"}"#,
            " \t\n\r 7 \n"
        ])
    func skipsUnknownFields(value: String) throws {
        for position in [0, 3, canonicalFields.count] {
            var fields = canonicalFields
            fields.insert(("extra_field", value), at: position)
            let incident = try decoder.decode(jsonObject(fields)).get()
            #expect(incident == expectedCanonical, "at \(position)")
        }
    }

    @Test("a key that only matches after unescaping is the field; other keys are skipped")
    func escapedKeys() throws {
        let fields =
            canonicalFields.map { $0.key == "id" ? (#"\u0069d"#, $0.value) : $0 }
            + [(#"l\u0061t_unused"#, "1"), (#"la\"t"#, "2")]
        #expect(try decoder.decode(jsonObject(fields)).get() == expectedCanonical)
    }

    @Test("field order is irrelevant (random permutations)")
    func fieldOrder() throws {
        var rng = SplitMix64(seed: 0x0DE5)
        for _ in 0..<300 {
            let text = jsonObject(canonicalFields.shuffled(using: &rng))
            #expect(decoder.decode(text) == .success(expectedCanonical), "\(text)")
        }
    }

    @Test("whitespace is allowed between all tokens (random whitespace)")
    func whitespaceEverywhere() throws {
        var rng = SplitMix64(seed: 0x5BACE)
        let spaces: [String] = [" ", "\t", "\n", "\r", "\r\n"]
        func ws() -> String {
            (0..<Int.random(in: 0...3, using: &rng)).map { _ in spaces.randomElement(using: &rng)! }.joined()
        }
        for _ in 0..<300 {
            var text = ws() + "{"
            for (k, field) in canonicalFields.enumerated() {
                text += ws() + "\"\(field.key)\"" + ws() + ":" + ws() + field.value + ws()
                text += k < canonicalFields.count - 1 ? "," : ""
            }
            text += "}" + ws()
            #expect(decoder.decode(text) == .success(expectedCanonical), "\(text.debugDescription)")
        }
    }

    @Test(
        "escaped strings decode to the right characters",
        arguments: [
            (#""a\nb""#, "a\nb"),
            (#""Caf\u00e9""#, "Café"),
            (#""Caf\u00E9""#, "Café"),
            (#""\ud83d\ude00""#, "😀"),
            (#""\uD83D\uDE00!""#, "😀!"),
            (#""q\"b\\s\/""#, "q\"b\\s/"),
            (#""\b\f\r\t""#, "\u{08}\u{0C}\r\t"),
            (#""\u0041\u00e9\u4e2d""#, "Aé中"),
            ("\"Caf\u{E9} \u{1F600}\"", "Café 😀")  // raw UTF-8, no escapes
        ])
    func escapes(json: String, expected: String) throws {
        for key in ["id", "category", "premises", "neighbourhood"] {
            let incident = try decoder.decode(canonical(replacing: key, with: json)).get()
            let actual =
                switch key {
                case "id": incident.id
                case "category": incident.category
                case "premises": incident.premises
                default: incident.neighbourhood
                }
            #expect(actual.map { Array($0.unicodeScalars) } == Array(expected.unicodeScalars), "\(key)")
        }
    }

    /// JSON escapes are legal anywhere in a string, and some encoders escape more than needed
    /// (.NET's System.Text.Json writes `+` as `\u002B` by default). The decoder parses the raw
    /// bytes of event_time without unescaping them.
    @Test(
        "an escaped event_time decodes like the unescaped one",
        arguments: [
            (#""2014-03-02T08:00:00\u002B00:00""#, Int64(1_393_747_200)),
            (#""2014-03-02T08:00:00\u002b00:00""#, 1_393_747_200),
            (#""2014-03-02T08:00:00\u002D05:00""#, 1_393_765_200),
            (#""2014-03-02T13:00:00\u005A""#, 1_393_765_200),
            (#""2014\u002d03-02T13:00:00Z""#, 1_393_765_200)
        ])
    func escapedEventTime(json: String, epochSeconds: Int64) {
        let decoded = decoder.decode(canonical(replacing: "event_time", with: json))
        #expect(decoded.success?.eventTime == Timestamp(seconds: epochSeconds), "\(decoded)")
    }

    /// A 4–9 digit fraction in event_time (microsecond timestamps are common) must decode, not
    /// crash the consumer. Runs in a child process because RFC3339.parse traps on it.
    @Test("an event_time with a microsecond fraction decodes (and does not crash)")
    func microsecondEventTime() async {
        await #expect(processExitsWith: .success) {
            let text = VigilCoreTests.canonical(replacing: "event_time", with: #""2014-03-02T08:00:00.123456-05:00""#)
            let result = IncidentDecoder().decode(text)
            precondition(result.success?.eventTime == Timestamp(milliseconds: 1_393_765_200_123))
        }
    }

    @Test("null, empty or absent premises/neighbourhood decode as nil", arguments: ["premises", "neighbourhood"])
    func optionalFields(key: String) throws {
        for value in ["null", #""""#, nil] {
            let incident = try decoder.decode(canonical(replacing: key, with: value)).get()
            #expect((key == "premises" ? incident.premises : incident.neighbourhood) == nil)
        }
    }

    @Test(
        "numbers with exponents, long mantissas and signs",
        arguments: [
            "43.73401277", "4.373401277e1", "4373401277E-8", "0.4373401277e+2", "43.7340127700000000000000000001",
            "43.73401277000000000000000000000000000000", "43", "-43.5", "43.734012770e0", "90", "-90", "0.5"
        ])
    func numberForms(text: String) throws {
        let incident = try decoder.decode(canonical(replacing: "lat", with: text)).get()
        #expect(incident.latitude.bitPattern == Double(text)!.bitPattern)
    }

    // MARK: Failures

    @Test("nil is a tombstone")
    func tombstone() {
        expectFailure(decoder.decode(nil as [UInt8]?), .tombstone, field: nil)
        expectFailure(decoder.decode(nil as UnsafeRawBufferPointer?), .tombstone, field: nil)
    }

    @Test("messages above maxMessageBytes are too_large; at the limit they decode")
    func tooLarge() {
        let size = VigilCoreTests.canonicalMessage.utf8.count
        expectFailure(IncidentDecoder(maxMessageBytes: size - 1).decode(VigilCoreTests.canonicalMessage), .tooLarge, field: nil)
        #expect(IncidentDecoder(maxMessageBytes: size).decode(VigilCoreTests.canonicalMessage) == .success(expectedCanonical))
        // The size check comes before parsing: even garbage is too_large.
        expectFailure(IncidentDecoder(maxMessageBytes: 4).decode("xxxxx"), .tooLarge, field: nil)
        expectFailure(decoder.decode(String(repeating: " ", count: 65_537)), .tooLarge, field: nil)
    }

    @Test(
        "malformed JSON is malformed_json",
        arguments: [
            "", "   ", "{", "}", "{]", "{{}}", #"{"id"}"#, #"{"id":"x",}"#, #"{"id":"x"} {}"#, #"{"id":'x'}"#,
            "nul", #"{"a":tru}"#, #"{"a":nulls}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":-}"#, #"{"a":1e}"#, #"{"a":1e+}"#,
            #"{"a":--1}"#, #"{"a":0x10}"#, #"{"a":"x\u{01}y"}"#, #"{"a":"unterminated}"#, #"{"a" 1}"#, #"{a:1}"#,
            #"{"a":1 "b":2}"#, #"{"a":1,,"b":2}"#, #"{"a":[1,]}"#, #"{"a":[1 2]}"#, #"{"a":{"b"}}"#,
            #"{"a":"\uZZZZ"}"#, #"{"id":"\q"}"#, #"{"id":"\u12"}"#, #"{"id":"\ud83d"}"#, #"{"id":"\ude00"}"#,
            #"{"id":"\ud83d\u0041"}"#, #"{"lat":1e400}"#, "\u{FEFF}{}", "[1", "1 2", #""x" "y""#
        ])
    func malformed(text: String) {
        let text = text.replacingOccurrences(of: #"\u{01}"#, with: "\u{01}")
        expectFailure(decoder.decode(text), .malformedJSON)
    }

    @Test("the canonical message with trailing junk is malformed_json", arguments: ["x", ",", "}", "{}", "\u{0}", "1"])
    func trailingJunk(junk: String) {
        expectFailure(decoder.decode(VigilCoreTests.canonicalMessage + junk), .malformedJSON)
        expectFailure(decoder.decode(VigilCoreTests.canonicalMessage + " \n" + junk), .malformedJSON)
    }

    @Test("deep nesting is rejected without exhausting the stack")
    func deepNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        expectFailure(IncidentDecoder(maxMessageBytes: 1 << 20).decode(deep), .malformedJSON)
        let deepField = canonical(
            replacing: "source", with: String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_000))
        expectFailure(IncidentDecoder(maxMessageBytes: 1 << 20).decode(deepField), .malformedJSON)
        // 60 levels is fine.
        let ok = canonical(replacing: "source", with: String(repeating: "[", count: 60) + String(repeating: "]", count: 60))
        #expect(decoder.decode(ok) == .success(expectedCanonical))
    }

    /// RFC 8259: a string with an invalid escape is not JSON. The scanner claims to validate what it
    /// skips ("a malformed one is always caught"), but `scanString` only steps over `\x` pairs.
    @Test(
        "invalid escapes are malformed_json even in skipped fields and keys",
        arguments: [
            #""\q""#, #""\u12""#, #""\uZZZZ""#, #""\x41""#, #""\'""#
        ])
    func invalidEscapeInSkippedField(value: String) {
        expectFailure(decoder.decode(canonical(replacing: "source", with: value)), .malformedJSON)
        let badKey = jsonObject(canonicalFields + [(String(value.dropFirst().dropLast()), "1")])
        expectFailure(decoder.decode(badKey), .malformedJSON)
    }

    /// Property: every strict prefix of a valid message is malformed JSON, never anything else.
    @Test(
        "every strict prefix of a valid message is malformed_json",
        arguments: [
            VigilCoreTests.canonicalMessage,
            " { \"id\" : \"tor\\u00e9\" ,\n\"event_time\":\"2014-03-02T08:00:00.5-05:00\", \"category\" :\"A\",\"premises\":null,"
                + "\"neighbourhood\": null, \"x\": [1, {\"y\": -2.5e-3}, true, false, null], \"lat\": 43.7 , \"lon\" : -79.5 } "
        ])
    func truncatedPrefixes(message: String) throws {
        let bytes = Array(message.utf8)
        try #require(decoder.decode(bytes).success != nil)
        var offenders: [String] = []
        let lastSignificant = bytes.lastIndex { $0 != 0x20 }!
        for length in 0...lastSignificant {
            let prefix = Array(bytes[..<length])
            switch decoder.decode(prefix) {
            case .success(let incident):
                offenders.append("\(String(decoding: prefix, as: UTF8.self).debugDescription) decoded as \(incident)")
            case .failure(let error) where error.reason != .malformedJSON:
                offenders.append("\(String(decoding: prefix, as: UTF8.self).debugDescription) -> \(error)")
            case .failure:
                break
            }
        }
        #expect(offenders.isEmpty, "\(offenders.count) truncated messages not malformed_json:\n\(offenders.joined(separator: "\n"))")
    }

    /// A message cut off right after a known field's colon is truncated JSON, not a wrong type.
    @Test(
        "a message truncated after a known field's ':' is malformed_json",
        arguments: [
            "id", "event_time", "category", "premises", "neighbourhood", "lat", "lon"
        ])
    func truncatedAfterColon(key: String) {
        expectFailure(decoder.decode("{\"\(key)\":"), .malformedJSON)
        expectFailure(decoder.decode("{\"\(key)\": \n"), .malformedJSON)
        expectFailure(decoder.decode("{\"\(key)\":}"), .malformedJSON)
    }

    @Test(
        "invalid UTF-8 inside strings is invalid_utf8",
        arguments: [
            [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0x80], [0xE2, 0x82], [0xF5, 0x80, 0x80, 0x80],
            [0xF4, 0x90, 0x80, 0x80], [0xE0, 0x80, 0xAF], [0xF0, 0x80, 0x80, 0xAF], [0xC3, 0x28]
        ] as [[UInt8]])
    func invalidUTF8(raw: [UInt8]) {
        for key in ["id", "category", "premises", "source"] {
            let parts = canonical(replacing: key, with: "\"a@b\"").components(separatedBy: "@")
            let bytes = Array(parts[0].utf8) + raw + Array(parts[1].utf8)
            expectFailure(decoder.decode(bytes), .invalidUTF8)
        }
    }

    @Test(
        "valid JSON that is not an object is not_an_object",
        arguments: [
            "[1]", #""x""#, "3", "true", "null", " [ ] ", "-1.5e3", #"[{"id":"x"}]"#
        ])
    func notAnObject(text: String) {
        expectFailure(decoder.decode(text), .notAnObject, field: nil)
    }

    @Test("each missing required field is missing_field", arguments: ["id", "event_time", "category", "lat", "lon"])
    func missingField(key: String) {
        expectFailure(decoder.decode(canonical(replacing: key, with: nil)), .missingField, field: key)
    }

    @Test("an empty object is missing its first required field")
    func emptyObject() {
        expectFailure(decoder.decode("{}"), .missingField, field: "id")
        expectFailure(decoder.decode(" { } "), .missingField, field: "id")
    }

    @Test(
        "a repeated known field is duplicate_field",
        arguments: [
            ("id", #""other""#), ("event_time", #""2014-03-02T08:00:00Z""#), ("category", #""Robbery""#),
            ("premises", "null"), ("neighbourhood", #""x""#), ("lat", "43.7"), ("lon", "-79.5")
        ])
    func duplicateField(key: String, value: String) {
        expectFailure(decoder.decode(jsonObject(canonicalFields + [(key, value)])), .duplicateField, field: key)
        // An escaped spelling of the same key is the same key.
        let escapedKey = #"\u00"# + String(key.utf8.first!, radix: 16) + key.dropFirst()
        expectFailure(decoder.decode(jsonObject(canonicalFields + [(escapedKey, value)])), .duplicateField, field: key)
    }

    @Test("repeated unknown fields are fine")
    func duplicateUnknownField() {
        #expect(decoder.decode(jsonObject(canonicalFields + [("source", "1")])) == .success(expectedCanonical))
    }

    @Test(
        "a known field of the wrong JSON type is wrong_type",
        arguments: [
            ("lat", #""43.7""#), ("lon", "true"), ("lat", "null"), ("lon", "[1]"), ("lat", "{}"),
            ("id", "1"), ("id", "null"), ("category", "[]"), ("category", "false"),
            ("event_time", "1393765200"), ("event_time", "null"),
            ("premises", "1"), ("neighbourhood", "{}"), ("premises", "true")
        ])
    func wrongType(key: String, value: String) {
        expectFailure(decoder.decode(canonical(replacing: key, with: value)), .wrongType, field: key)
    }

    @Test(
        "values outside the domain are invalid_value",
        arguments: [
            ("event_time", #""yesterday""#, "event_time"),
            ("event_time", #""2014-03-02T08:00:00""#, "event_time"),
            ("event_time", #""2014-02-30T08:00:00Z""#, "event_time"),
            ("event_time", #""1800-01-01T00:00:00Z""#, "event_time"),
            ("event_time", #""1899-12-31T23:59:59.999Z""#, "event_time"),
            ("event_time", #""2200-01-01T00:00:00.001Z""#, "event_time"),
            ("event_time", #""""#, "event_time"),
            ("lat", "91", "lat"), ("lat", "-90.000001", "lat"), ("lat", "1e3", "lat"),
            ("lon", "-181", "lon"), ("lon", "180.5", "lon"),
            ("id", #""""#, "id"), ("id", "\"" + String(repeating: "x", count: 257) + "\"", "id"),
            ("category", #""""#, "category"), ("category", "\"" + String(repeating: "é", count: 65) + "\"", "category")
        ])
    func invalidValue(key: String, value: String, field: String) {
        expectFailure(decoder.decode(canonical(replacing: key, with: value)), .invalidValue, field: field)
    }

    @Test("(0, 0) is a missing-location placeholder")
    func nullIsland() {
        for (lat, lon) in [("0", "0"), ("0.0", "-0.0"), ("-0", "0e5")] {
            let text = jsonObject(canonicalFields.map { $0.key == "lat" ? ("lat", lat) : $0.key == "lon" ? ("lon", lon) : $0 })
            expectFailure(decoder.decode(text), .invalidValue, field: "lat")
        }
        // Only both together: the equator and the prime meridian are real places.
        #expect(decoder.decode(canonical(replacing: "lat", with: "0")).success?.latitude == 0)
        #expect(decoder.decode(canonical(replacing: "lon", with: "0")).success?.longitude == 0)
    }

    @Test("boundary values are accepted")
    func boundaries() {
        #expect(decoder.decode(canonical(replacing: "event_time", with: #""1900-01-01T00:00:00Z""#)).success != nil)
        #expect(decoder.decode(canonical(replacing: "event_time", with: #""2200-01-01T00:00:00Z""#)).success != nil)
        #expect(decoder.decode(canonical(replacing: "id", with: "\"" + String(repeating: "x", count: 256) + "\"")).success != nil)
        #expect(decoder.decode(canonical(replacing: "category", with: "\"" + String(repeating: "x", count: 128) + "\"")).success != nil)
        #expect(decoder.decode(canonical(replacing: "lat", with: "-90")).success != nil)
        #expect(decoder.decode(canonical(replacing: "lon", with: "180")).success != nil)
    }

    @Test(
        "coordinates outside the configured box are out_of_bounds",
        arguments: [
            ("43.57", "-79.59"), ("43.87", "-79.59"), ("43.7", "-79.65"), ("43.7", "-79.10"), ("51.5", "-0.12")
        ])
    func outOfBounds(lat: String, lon: String) {
        let text = jsonObject(canonicalFields.map { $0.key == "lat" ? ("lat", lat) : $0.key == "lon" ? ("lon", lon) : $0 })
        expectFailure(toronto.decode(text), .outOfBounds, field: "lat")
        #expect(decoder.decode(text).success != nil, "the world box accepts it")
    }

    @Test(
        "the box's edges are inside",
        arguments: [
            ("43.58", "-79.64"), ("43.86", "-79.11"), ("43.58", "-79.11"), ("43.86", "-79.64")
        ])
    func boxEdges(lat: String, lon: String) {
        let text = jsonObject(canonicalFields.map { $0.key == "lat" ? ("lat", lat) : $0.key == "lon" ? ("lon", lon) : $0 })
        #expect(toronto.decode(text).success != nil)
    }

    @Test("range errors take precedence over the box")
    func rangeBeforeBox() {
        expectFailure(toronto.decode(canonical(replacing: "lat", with: "91")), .invalidValue, field: "lat")
    }

    // MARK: Properties

    /// Decoded coordinates equal Swift's own (correctly rounded) `Double(text)`, bit for bit.
    @Test("lat/lon decode exactly like Double(text) for random doubles", arguments: ["lat", "lon"])
    func numberExactness(key: String) throws {
        var rng = SplitMix64(seed: key == "lat" ? 0x1A7 : 0x10E)
        let limit = key == "lat" ? 90.0 : 180.0
        for k in 0..<1500 {
            var value = Double.random(in: -limit...limit, using: &rng)
            if k % 5 == 0 { value /= pow(10, Double(Int.random(in: 1...12, using: &rng))) }  // small magnitudes
            let text =
                k % 2 == 0
                ? value.description
                : String(format: "%.\(Int.random(in: 1...12, using: &rng))f", value)
            let incident = try #require(decoder.decode(canonical(replacing: key, with: text)).success, "\(text)")
            let decoded = key == "lat" ? incident.latitude : incident.longitude
            #expect(decoded.bitPattern == Double(text)!.bitPattern, "\(text): got \(decoded), want \(Double(text)!)")
        }
    }

    private static func checkInvariants(_ result: Result<Incident, DecodeError>, _ bytes: [UInt8], _ decoder: IncidentDecoder) {
        switch result {
        case .success(let incident):
            #expect(!incident.id.isEmpty && !incident.category.isEmpty)
            #expect((-90.0...90.0).contains(incident.latitude) && (-180.0...180.0).contains(incident.longitude))
            #expect(!(incident.latitude == 0 && incident.longitude == 0))
            #expect(IncidentDecoder.defaultPlausibleTimes.contains(incident.eventTime))
        case .failure(let error):
            #expect(error.reason != .tombstone && error.reason != .tooLarge, "\(error)")
            #expect(!error.message.isEmpty)
        }
        #expect(decoder.decode(bytes) == result, "decoding is deterministic")
    }

    @Test("random byte strings never crash the decoder")
    func fuzzRandomBytes() {
        var rng = SplitMix64(seed: 0xF022)
        let alphabet = Array(#"{}[]:,"\ 0123456789.-+eEtrufalsn"#.utf8) + [0xFF, 0xC3, 0xA9, 0xED, 0xA0, 0x80]
        var outcomes: [DecodeError.Reason?: Int] = [:]
        for k in 0..<5000 {
            let count = Int.random(in: 0...200, using: &rng)
            // Half uniformly random bytes, half drawn from JSON's own alphabet (to get past byte 0).
            let bytes: [UInt8] = (0..<count).map { _ in
                k % 2 == 0 ? UInt8.random(in: 0...255, using: &rng) : alphabet.randomElement(using: &rng)!
            }
            let prefixed = k % 4 == 1 ? Array(#"{"id":"#.utf8) + bytes : bytes
            let result = decoder.decode(prefixed)
            Self.checkInvariants(result, prefixed, decoder)
            outcomes[result.failure?.reason, default: 0] += 1
        }
        // Random bytes reach several distinct rejection paths, not one early exit.
        let reasons = outcomes.keys.compactMap { $0 }
        #expect(reasons.count >= 3, "rejection reasons reached: \(reasons)")
    }

    /// Bytes that matter to JSON, so that mutations often change the structure.
    private static let significant = Array(#"{}[]:,"\ 0.-eEnu"#.utf8)

    private static func mutate(_ message: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
        var bytes = message
        func randomByte() -> UInt8 {
            Bool.random(using: &rng) ? UInt8.random(in: 0...255, using: &rng) : significant.randomElement(using: &rng)!
        }
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let position = Int.random(in: 0...bytes.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0 where position < bytes.count: bytes[position] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case 1 where position < bytes.count: bytes[position] = randomByte()
            case 2: bytes.insert(randomByte(), at: position)
            case 3 where position < bytes.count: bytes.remove(at: position)
            default: break
            }
        }
        return bytes
    }

    @Test("random mutations of a valid message never crash the decoder")
    func fuzzMutations() {
        var rng = SplitMix64(seed: 0x0077A7E)
        let message = Array(VigilCoreTests.canonicalMessage.utf8)
        var successes = 0
        var failures = 0
        for _ in 0..<5000 {
            let bytes = Self.mutate(message, using: &rng)
            let result = toronto.decode(bytes)
            Self.checkInvariants(result, bytes, toronto)
            if result.success != nil { successes += 1 } else { failures += 1 }
        }
        // (A check that successes + failures == 5000 was here: true by construction, it could not fail.)
        #expect(successes >= 50 && failures >= 50, "the mutations exercise both outcomes: \(successes) accepted, \(failures) rejected")
    }

    /// Differential check against Foundation: anything the decoder accepts is valid JSON.
    @Test("mutated messages the decoder accepts are valid JSON objects (JSONSerialization)")
    func acceptedMutationsAreJSON() {
        var rng = SplitMix64(seed: 0xD1FF)
        let message = Array(VigilCoreTests.canonicalMessage.utf8)
        var rejectedByFoundation: [String] = []
        for _ in 0..<5000 {
            let bytes = Self.mutate(message, using: &rng)
            guard toronto.decode(bytes).success != nil else { continue }
            if (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] == nil {
                rejectedByFoundation.append(String(decoding: bytes, as: UTF8.self).debugDescription)
            }
        }
        #expect(
            rejectedByFoundation.isEmpty,
            "\(rejectedByFoundation.count) accepted messages are not JSON, e.g.:\n\(rejectedByFoundation.prefix(5).joined(separator: "\n"))"
        )
    }
}
