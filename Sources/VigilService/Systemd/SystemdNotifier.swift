import Foundation

/// The `sd_notify(3)` protocol, spoken directly: one datagram per state change to the
/// AF_UNIX socket named by `NOTIFY_SOCKET` (a path, or an abstract name starting with `@`).
///
/// Written in Swift over Glibc rather than linking libsystemd, so the binary has no new
/// dependency; outside systemd (`NOTIFY_SOCKET` unset) every call is a cheap no-op.
/// Thread-safe: the socket is created once and `sendto(2)` on a datagram socket is atomic.
final class SystemdNotifier: Sendable {
    /// Where notifications go; nil when not running under a notify-type unit.
    let socketPath: String?
    /// How often the service manager expects `WATCHDOG=1` (nil when no watchdog is armed for us).
    let watchdogInterval: Duration?
    private let fd: Int32

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        watchdogInterval = Self.watchdogInterval(environment: environment, pid: getpid())
        fd = path == nil ? -1 : socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }

    deinit { if fd >= 0 { close(fd) } }

    var isEnabled: Bool { socketPath != nil && fd >= 0 }

    /// `WATCHDOG_USEC` when it is meant for this process (`WATCHDOG_PID` absent or ours).
    static func watchdogInterval(environment: [String: String], pid: pid_t) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"], !owner.isEmpty, owner != String(pid) { return nil }
        return .microseconds(Int64(clamping: usec))
    }

    /// `CLOCK_MONOTONIC` in microseconds, as `MONOTONIC_USEC=` in a reload notification wants it.
    static func monotonicMicroseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1_000
    }

    func ready(status: String? = nil) { send(["READY=1"] + (status.map { ["STATUS=\($0)"] } ?? [])) }
    /// Start of a reload: systemd ≥ 253 requires MONOTONIC_USEC with RELOADING=1; 252 ignores it.
    func reloading() { send(["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())"]) }
    func stopping() { send(["STOPPING=1"]) }
    func status(_ text: String) { send(["STATUS=\(text)"]) }
    func watchdog() { send(["WATCHDOG=1"]) }

    /// Sends `assignments` (KEY=VALUE lines) as one datagram; returns whether it was delivered.
    @discardableResult
    func send(_ assignments: [String]) -> Bool {
        guard let socketPath, fd >= 0 else { return false }
        let message = Array(assignments.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n").utf8)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            if !abstract { raw[pathBytes.count] = 0 }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (abstract ? 0 : 1))
        let sent = message.withUnsafeBytes { body in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, body.baseAddress, body.count, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        return sent == message.count
    }
}
