import Foundation

/// HTTP basic authentication (RFC 7617) for the admin listener, from a credential file of
/// `user:password` lines (`#` comments and blank lines allowed). Read once at startup; the file
/// must not be readable by other users, since it holds the passwords themselves.
struct BasicAuth: Sendable, Equatable {
    struct LoadError: Error { var message: String }

    /// "user:password" → accepted, compared in constant time.
    private(set) var accepted: [[UInt8]]

    static let realm = "vigil"

    /// How many credential lines were read (never the names or passwords themselves).
    var count: Int { accepted.count }

    static func load(path: String) throws(LoadError) -> BasicAuth {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw LoadError(message: "cannot read '\(path)'")
        }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o007 != 0 {
            throw LoadError(message: "'\(path)' is readable or writable by other users (mode \(String(mode, radix: 8)))")
        }
        return try parse(text)
    }

    static func parse(_ text: String) throws(LoadError) -> BasicAuth {
        var accepted: [[UInt8]] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex, line.index(after: colon) != line.endIndex else {
                throw LoadError(message: "line \(n + 1) is not 'user:password'")
            }
            accepted.append(Array(line.utf8))
        }
        guard !accepted.isEmpty else { throw LoadError(message: "no 'user:password' line") }
        return BasicAuth(accepted: accepted)
    }

    /// Whether an `Authorization` header value carries accepted credentials.
    func allows(_ header: String?) -> Bool {
        guard let header, header.count < 4096 else { return false }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces))
        else { return false }
        let given = [UInt8](decoded)
        var ok = false
        for candidate in accepted where Self.constantTimeEqual(candidate, given) { ok = true }
        return ok
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) { diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
        return diff == 0
    }
}
