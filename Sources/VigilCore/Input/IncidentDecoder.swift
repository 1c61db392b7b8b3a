/// Turns the canonical incident JSON (`Config/schemas/incident.schema.json`) into an `Incident`,
/// or explains precisely why not.
///
/// Hand-written over borrowed bytes because this runs for every message: no Foundation, no
/// intermediate dictionary, unknown fields skipped (but validated).
public struct IncidentDecoder: Sendable {
    /// Messages above this size are rejected before parsing.
    public var maxMessageBytes: Int
    /// Coordinates outside this box are rejected (`out_of_bounds`).
    public var bounds: GeoBounds
    /// Event times outside this range are implausible (`invalid_value`); default 1900–2200.
    public var plausibleTimes: ClosedRange<Timestamp>

    public static let defaultPlausibleTimes = Timestamp(seconds: -2_208_988_800)...Timestamp(seconds: 7_258_118_400)

    public init(
        maxMessageBytes: Int = 65_536, bounds: GeoBounds = .world,
        plausibleTimes: ClosedRange<Timestamp> = IncidentDecoder.defaultPlausibleTimes
    ) {
        self.maxMessageBytes = maxMessageBytes
        self.bounds = bounds
        self.plausibleTimes = plausibleTimes
    }

    public func decode(_ bytes: [UInt8]?) -> Result<Incident, DecodeError> {
        guard let bytes else { return decode(nil as UnsafeRawBufferPointer?) }
        return bytes.withUnsafeBytes { decode($0) }
    }

    /// `nil` is a tombstone (a Kafka message with no value).
    public func decode(_ bytes: UnsafeRawBufferPointer?) -> Result<Incident, DecodeError> {
        guard let bytes else { return .failure(DecodeError(.tombstone, "message has no value (tombstone)")) }
        guard bytes.count <= maxMessageBytes else {
            return .failure(DecodeError(.tooLarge, "message is \(bytes.count) bytes, limit is \(maxMessageBytes)"))
        }
        do throws(DecodeError) {
            return .success(try parse(bytes))
        } catch {
            return .failure(error)
        }
    }

    /// Applies the same validation as `decode` to an incident built elsewhere (e.g. from CSV).
    public func validate(_ incident: Incident) -> Result<Incident, DecodeError> {
        do throws(DecodeError) {
            try validate(
                id: incident.id, category: incident.category, eventTime: incident.eventTime,
                lat: incident.latitude, lon: incident.longitude)
            return .success(incident)
        } catch {
            return .failure(error)
        }
    }

    private enum Field: Int, CaseIterable {
        case id, eventTime, category, premises, neighbourhood, lat, lon

        var name: String {
            switch self {
            case .id: "id"
            case .eventTime: "event_time"
            case .category: "category"
            case .premises: "premises"
            case .neighbourhood: "neighbourhood"
            case .lat: "lat"
            case .lon: "lon"
            }
        }

        /// Dispatch on the key's length first: at most two byte comparisons, no array of names.
        /// Each comparison is a plain loop over the bytes (the generic `elementsEqual` cost ~190
        /// instructions a key, eight keys per incident).
        static func match(_ key: UnsafeRawBufferPointer) -> Field? {
            @inline(__always) func equals(_ name: StaticString) -> Bool {
                guard name.utf8CodeUnitCount == key.count else { return false }
                let bytes = name.utf8Start
                for i in 0..<key.count where bytes[i] != key[i] { return false }
                return true
            }
            switch key.count {
            case 2: return equals("id") ? .id : nil
            case 3: return equals("lat") ? .lat : equals("lon") ? .lon : nil
            case 8: return equals("category") ? .category : equals("premises") ? .premises : nil
            case 10: return equals("event_time") ? .eventTime : nil
            case 13: return equals("neighbourhood") ? .neighbourhood : nil
            default: return nil
            }
        }
    }

    private func parse(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> Incident {
        var s = JSONScanner(bytes)
        s.skipWhitespace()
        guard s.peek() == 0x7B else {
            if s.isAtEnd { throw DecodeError(.malformedJSON, "empty message") }
            // Distinguish valid-but-not-an-object from garbage.
            var probe = s
            if (try? probe.skipValue()) != nil {
                probe.skipWhitespace()
                if probe.isAtEnd { throw DecodeError(.notAnObject, "incident must be a JSON object, got \(s.typeName())") }
            }
            throw s.fail("expected '{'")
        }
        s.index += 1
        var id: String?
        var category: String?
        var premises: String?
        var neighbourhood: String?
        var eventTime: Timestamp?
        var lat: Double?
        var lon: Double?
        var seen: UInt8 = 0
        s.skipWhitespace()
        if s.peek() == 0x7D {
            s.index += 1
        } else {
            while true {
                s.skipWhitespace()
                let (start, end, escaped) = try s.scanString()
                let key = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                let field: Field?
                if escaped {
                    let name = try JSONScanner.unescape(key, at: start)
                    field = Field.allCases.first { $0.name == name }
                } else {
                    field = Field.match(key)
                }
                try s.expect(0x3A, "':'")
                s.skipWhitespace()
                if let field {
                    let bit = UInt8(1) << UInt8(field.rawValue)
                    guard seen & bit == 0 else {
                        throw DecodeError(.duplicateField, field: field.name, "field '\(field.name)' appears twice")
                    }
                    seen |= bit
                    switch field {
                    case .id: id = try requiredString(&s, field)
                    case .category: category = try requiredString(&s, field)
                    case .premises: premises = try optionalString(&s, field)
                    case .neighbourhood: neighbourhood = try optionalString(&s, field)
                    case .eventTime: eventTime = try timestamp(&s, field)
                    case .lat: lat = try number(&s, field)
                    case .lon: lon = try number(&s, field)
                    }
                } else {
                    try s.skipValue()
                }
                s.skipWhitespace()
                if s.peek() == 0x2C {
                    s.index += 1
                    continue
                }
                try s.expect(0x7D, "'}' or ','")
                break
            }
        }
        s.skipWhitespace()
        guard s.isAtEnd else { throw s.fail("trailing data after object") }

        guard let id else { throw missing(.id) }
        guard let eventTime else { throw missing(.eventTime) }
        guard let category else { throw missing(.category) }
        guard let lat else { throw missing(.lat) }
        guard let lon else { throw missing(.lon) }
        try validate(id: id, category: category, eventTime: eventTime, lat: lat, lon: lon)
        return Incident(
            id: id, eventTime: eventTime, category: category, premises: premises,
            neighbourhood: neighbourhood, latitude: lat, longitude: lon)
    }

    private func missing(_ field: Field) -> DecodeError {
        DecodeError(.missingField, field: field.name, "required field '\(field.name)' is missing")
    }

    /// A wrong-type error when the value is valid JSON of another type; a syntax error otherwise
    /// (a truncated or garbled message is malformed, not mistyped).
    private func wrongType(_ s: JSONScanner, _ field: Field, _ expected: String) -> DecodeError {
        guard s.hasValidValue() else {
            return DecodeError(.malformedJSON, "invalid value for '\(field.name)' at byte \(s.index)")
        }
        return DecodeError(.wrongType, field: field.name, "field '\(field.name)' must be \(expected), got \(s.typeName())")
    }

    private func requiredString(_ s: inout JSONScanner, _ field: Field) throws(DecodeError) -> String {
        guard s.peek() == 0x22 else { throw wrongType(s, field, "a string") }
        return try s.readString()
    }

    private func optionalString(_ s: inout JSONScanner, _ field: Field) throws(DecodeError) -> String? {
        if s.peek() == 0x6E {
            try s.literal("null")
            return nil
        }
        guard s.peek() == 0x22 else { throw wrongType(s, field, "a string or null") }
        let value = try s.readString()
        return value.isEmpty ? nil : value
    }

    private func number(_ s: inout JSONScanner, _ field: Field) throws(DecodeError) -> Double {
        guard let c = s.peek(), c == 0x2D || (c >= 48 && c <= 57) else { throw wrongType(s, field, "a number") }
        return try s.readNumber()
    }

    private func timestamp(_ s: inout JSONScanner, _ field: Field) throws(DecodeError) -> Timestamp {
        guard s.peek() == 0x22 else { throw wrongType(s, field, "an RFC 3339 string") }
        let (start, end, escaped) = try s.scanString()
        let raw = UnsafeRawBufferPointer(rebasing: s.bytes[start..<end])
        var parsed: Timestamp?
        if escaped {
            var text = try JSONScanner.unescape(raw, at: start)
            parsed = text.withUTF8 { RFC3339.parse(UnsafeRawBufferPointer($0)) }
        } else {
            parsed = RFC3339.parse(raw)
        }
        guard let t = parsed else {
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: s.bytes[start..<min(end, start + 40)]), as: UTF8.self)
            throw DecodeError(
                .invalidValue, field: field.name, "'\(text)' is not an RFC 3339 timestamp with offset (e.g. 2021-03-04T13:00:00-05:00)")
        }
        return t
    }

    private func validate(id: String, category: String, eventTime: Timestamp, lat: Double, lon: Double) throws(DecodeError) {
        guard !id.isEmpty, id.utf8.count <= 256 else {
            throw DecodeError(.invalidValue, field: "id", "id must be 1–256 bytes")
        }
        guard !category.isEmpty, category.utf8.count <= 128 else {
            throw DecodeError(.invalidValue, field: "category", "category must be 1–128 bytes")
        }
        guard plausibleTimes.contains(eventTime) else {
            throw DecodeError(
                .invalidValue, field: "event_time",
                "event time \(eventTime) is outside the plausible range \(plausibleTimes.lowerBound)–\(plausibleTimes.upperBound)")
        }
        guard (-90.0...90.0).contains(lat) else { throw DecodeError(.invalidValue, field: "lat", "latitude \(lat) is not in [-90, 90]") }
        guard (-180.0...180.0).contains(lon) else {
            throw DecodeError(.invalidValue, field: "lon", "longitude \(lon) is not in [-180, 180]")
        }
        guard !(lat == 0 && lon == 0) else {
            throw DecodeError(.invalidValue, field: "lat", "coordinates (0, 0) are a missing-location placeholder")
        }
        guard bounds.contains(latitude: lat, longitude: lon) else {
            throw DecodeError(
                .outOfBounds, field: "lat",
                "(\(lat), \(lon)) is outside the configured bounding box [\(bounds.south), \(bounds.west), \(bounds.north), \(bounds.east)]"
            )
        }
    }
}
