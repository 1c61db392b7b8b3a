/// Why a message could not become an `Incident`. Travels to the dead-letter topic as headers.
public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable reason (the `vigil.error.reason` header).
    public enum Reason: String, Sendable, CaseIterable {
        case tombstone = "tombstone"
        case tooLarge = "too_large"
        case malformedJSON = "malformed_json"
        case invalidUTF8 = "invalid_utf8"
        case notAnObject = "not_an_object"
        case missingField = "missing_field"
        case duplicateField = "duplicate_field"
        case wrongType = "wrong_type"
        case invalidValue = "invalid_value"
        case outOfBounds = "out_of_bounds"
    }

    public var reason: Reason
    /// The offending field, when there is one.
    public var field: String?
    /// What was wrong, for a human.
    public var message: String

    public init(_ reason: Reason, field: String? = nil, _ message: String) {
        self.reason = reason
        self.field = field
        self.message = message
    }

    public var description: String {
        "\(reason.rawValue)\(field.map { " (\($0))" } ?? ""): \(message)"
    }
}
