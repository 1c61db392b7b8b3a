/// `[admin]` and `[cap]`: the admin HTTP listener and the CAP 1.2 rendering of alerts.
struct OperationsSettings: Sendable, Equatable {
    struct Admin: Sendable, Equatable {
        /// "host:port"; empty disables the listener; port 0 picks a free port (logged).
        var listen = "127.0.0.1:9464"
        var host: String? = "127.0.0.1"
        var port: Int? = 9464
    }

    struct CAP: Sendable, Equatable {
        /// CAP `<sender>`: who issues the alerts (no spaces, commas, '<' or '&').
        var sender = "vigil@localhost"
        /// CAP `<status>`: Actual for production, Exercise/Test for drills.
        var status = "Actual"
        /// CAP `<scope>`: Public or Private.
        var scope = "Private"
    }

    var admin = Admin()
    var cap = CAP()
    /// The operator's page on the admin listener (`admin.page`, `admin.auth_file`, ...).
    var page = PageSettings()

    static func read(_ r: inout ConfigReader) throws(ConfigurationError) -> OperationsSettings {
        var s = OperationsSettings()
        s.admin.listen = try r.string("admin.listen", default: s.admin.listen)
        if s.admin.listen.isEmpty {
            s.admin.host = nil
            s.admin.port = nil
        } else {
            guard let (host, port) = splitHostPort(s.admin.listen), (0...65535).contains(port) else {
                throw ConfigurationError(
                    key: "admin.listen", message: "'\(s.admin.listen)' is not host:port",
                    fix: "e.g. \"127.0.0.1:9464\" (port 0 picks a free port; \"\" disables the admin API)")
            }
            s.admin.host = host
            s.admin.port = port
        }
        s.page = try PageSettings.read(&r)
        s.cap.sender = try r.string("cap.sender", default: s.cap.sender)
        if s.cap.sender.isEmpty || s.cap.sender.contains(where: { $0 == " " || $0 == "," || $0 == "<" || $0 == "&" || $0.isWhitespace }) {
            throw ConfigurationError(
                key: "cap.sender", message: "'\(s.cap.sender)' is not a CAP sender",
                fix: "use an id without spaces, commas, '<' or '&', e.g. \"vigil@police.example\"")
        }
        s.cap.status = try r.string("cap.status", default: s.cap.status)
        let statuses = ["Actual", "Exercise", "System", "Test", "Draft"]
        guard statuses.contains(s.cap.status) else {
            throw ConfigurationError(
                key: "cap.status", message: "'\(s.cap.status)' is not a CAP status", fix: "use one of \(statuses.joined(separator: ", "))")
        }
        s.cap.scope = try r.string("cap.scope", default: s.cap.scope)
        guard ["Public", "Private"].contains(s.cap.scope) else {
            throw ConfigurationError(key: "cap.scope", message: "'\(s.cap.scope)' is not supported", fix: "use \"Public\" or \"Private\"")
        }
        return s
    }

    /// "127.0.0.1:9464", "[::1]:9464", "localhost:0".
    static func splitHostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return (host, port)
    }
}
