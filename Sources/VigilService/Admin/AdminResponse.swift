/// An HTTP answer of the admin API, independent of the server library so routes are testable.
struct AdminResponse: Sendable, Equatable {
    var status: Int
    var contentType: String
    var body: [UInt8]
    /// Extra response headers (e.g. `WWW-Authenticate`); the handler adds the security headers.
    var headers: [String: String] = [:]

    static func text(_ status: Int, _ text: String) -> AdminResponse {
        AdminResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array((text + "\n").utf8))
    }

    static func json(_ status: Int, _ body: [UInt8], contentType: String = "application/json") -> AdminResponse {
        AdminResponse(status: status, contentType: contentType, body: body)
    }
}
