import Foundation

/// The operator's page settings, in `[admin]`: whether `/` is served, basic-auth credentials,
/// an optional basemap tile server, and the event stream's limits (docs/OPERATIONS.md, "The
/// operator's page").
struct PageSettings: Sendable, Equatable {
    /// Serve `/`, its assets, `/page/*` and `/events`.
    var enabled = true
    /// `user:password` lines (absolute path, or a name in `$CREDENTIALS_DIRECTORY`); empty: no
    /// authentication (keep the listener on loopback then).
    var authFile = ""
    /// The credentials read from `authFile` at startup.
    var credentials: BasicAuth?
    /// A tile URL template such as "https://tiles.example.org/{z}/{x}/{y}.png"; empty: no basemap.
    var tileURL = ""
    var tileAttribution = ""
    /// Concurrent `/events` clients; more get 503.
    var maxEventClients = 16
    /// Recent alerts kept for `Last-Event-ID` resume.
    var eventRing = 1024
    /// Recent incidents kept for the map's points and alert drill-down.
    var incidentRing = 50_000

    /// The tile server's origin ("https://tiles.example.org"), which the CSP allows for images.
    var tileOrigin: String? {
        guard !tileURL.isEmpty,
            let url = URL(
                string: tileURL.replacingOccurrences(of: "{z}", with: "0")
                    .replacingOccurrences(of: "{x}", with: "0").replacingOccurrences(of: "{y}", with: "0")),
            let scheme = url.scheme, let host = url.host
        else { return nil }
        return "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
    }

    static func read(_ r: inout ConfigReader) throws(ConfigurationError) -> PageSettings {
        var s = PageSettings()
        s.enabled = try r.bool("admin.page", default: s.enabled)
        s.authFile = try r.string("admin.auth_file", default: s.authFile)
        if !s.authFile.isEmpty {
            // Like the Kafka secrets: an absolute path, or a credential name in $CREDENTIALS_DIRECTORY.
            let path = try KafkaSecuritySettings.resolve(
                s.authFile, key: "admin.auth_file",
                credentials: ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"])
            do { s.credentials = try BasicAuth.load(path: path) } catch {
                throw ConfigurationError(
                    key: "admin.auth_file", message: error.message,
                    fix: "one 'user:password' line per operator, in a file only vigil can read (chmod 600), or \"\" for no authentication")
            }
        }
        s.tileURL = try r.string("admin.tile_url", default: s.tileURL)
        s.tileAttribution = try r.string("admin.tile_attribution", default: s.tileAttribution)
        if !s.tileURL.isEmpty {
            let placeholders = ["{z}", "{x}", "{y}"].allSatisfy { s.tileURL.contains($0) }
            guard placeholders, s.tileURL.hasPrefix("https://") || s.tileURL.hasPrefix("http://"), s.tileOrigin != nil else {
                throw ConfigurationError(
                    key: "admin.tile_url", message: "'\(s.tileURL)' is not an http(s) tile URL template with {z}, {x} and {y}",
                    fix: "e.g. \"https://tiles.example.org/{z}/{x}/{y}.png\" (your own tile server), or \"\" for no basemap")
            }
            guard !s.tileAttribution.isEmpty else {
                throw ConfigurationError(
                    key: "admin.tile_attribution", message: "a basemap needs its attribution",
                    fix: "set the credit the tile data's licence asks for, e.g. \"© OpenStreetMap contributors\"")
            }
        }
        s.maxEventClients = try r.int("admin.events_max_clients", default: s.maxEventClients)
        guard (1...1000).contains(s.maxEventClients) else {
            throw ConfigurationError(key: "admin.events_max_clients", message: "\(s.maxEventClients) is out of range", fix: "use 1 to 1000")
        }
        s.eventRing = try r.int("admin.events_ring", default: s.eventRing)
        guard (1...100_000).contains(s.eventRing) else {
            throw ConfigurationError(key: "admin.events_ring", message: "\(s.eventRing) is out of range", fix: "use 1 to 100000 alerts")
        }
        s.incidentRing = try r.int("admin.page_incidents", default: s.incidentRing)
        guard (1...1_000_000).contains(s.incidentRing) else {
            throw ConfigurationError(
                key: "admin.page_incidents", message: "\(s.incidentRing) is out of range", fix: "use 1 to 1000000 incidents")
        }
        return s
    }
}
