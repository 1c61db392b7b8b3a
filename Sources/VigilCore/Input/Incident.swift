/// One reported incident (a crime report or a call for service), as Vigil's core sees it.
///
/// The canonical wire form is documented by `Config/schemas/incident.schema.json`.
public struct Incident: Sendable, Equatable {
    /// The producer's identifier; alerts cite it so analysts can find the source record.
    public var id: String
    /// When the incident happened (not when it was reported or received).
    public var eventTime: Timestamp
    /// Offence or call category, e.g. "Assault".
    public var category: String
    /// Premises type, e.g. "Apartment", when known.
    public var premises: String?
    /// Neighbourhood name, when known.
    public var neighbourhood: String?
    /// WGS 84 degrees.
    public var latitude: Double
    public var longitude: Double

    public init(
        id: String, eventTime: Timestamp, category: String, premises: String? = nil,
        neighbourhood: String? = nil, latitude: Double, longitude: Double
    ) {
        self.id = id
        self.eventTime = eventTime
        self.category = category
        self.premises = premises
        self.neighbourhood = neighbourhood
        self.latitude = latitude
        self.longitude = longitude
    }
}
