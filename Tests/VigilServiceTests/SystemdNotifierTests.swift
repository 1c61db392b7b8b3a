import Foundation
import Testing

@testable import VigilService

/// The notifier against a datagram socket the test owns, as systemd's would be.
@Suite("systemd notify protocol")
struct SystemdNotifierTests {
    /// A bound AF_UNIX datagram socket; `abstract` uses the Linux abstract namespace.
    final class Listener {
        let fd: Int32
        let name: String

        init(abstract: Bool) throws {
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            let unique = "vigil-test-\(UUID().uuidString.prefix(8))"
            name = abstract ? "@\(unique)" : FileManager.default.temporaryDirectory.appendingPathComponent("\(unique).sock").path
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            var bytes = Array(name.utf8)
            if abstract { bytes[0] = 0 }
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
            let rc = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            try #require(rc == 0)
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        func receive() -> [String]? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { return nil }
            return String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").map(String.init)
        }

        deinit {
            close(fd)
            if !name.hasPrefix("@") { unlink(name) }
        }
    }

    @Test(arguments: [false, true])
    func sendsEachStateAsOneDatagram(abstract: Bool) throws {
        let listener = try Listener(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.name])
        #expect(notifier.isEnabled)
        notifier.ready(status: "3 partitions")
        #expect(listener.receive() == ["READY=1", "STATUS=3 partitions"])
        notifier.reloading()
        let reloading = try #require(listener.receive())
        #expect(reloading.first == "RELOADING=1")
        let usec = try #require(reloading.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? UInt64($0.dropFirst(15)) : nil })
        #expect(usec > 0 && usec <= SystemdNotifier.monotonicMicroseconds())
        notifier.watchdog()
        #expect(listener.receive() == ["WATCHDOG=1"])
        notifier.status("line\nbreak")
        #expect(listener.receive() == ["STATUS=line break"], "a newline cannot forge another assignment")
        notifier.stopping()
        #expect(listener.receive() == ["STOPPING=1"])
    }

    @Test func isANoOpOutsideSystemd() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        #expect(!notifier.send(["READY=1"]))
        #expect(notifier.watchdogInterval == nil)
    }

    @Test func watchdogIntervalIsForThisProcessOnly() {
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000"], pid: 42) == .seconds(30))
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"], pid: 42) == .seconds(30))
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "7"], pid: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "0"], pid: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "soon"], pid: 42) == nil)
    }

    @Test func watchdogPingsAtHalfTheInterval() {
        var watchdog = SystemdWatchdog(interval: .seconds(10))
        let t0 = ContinuousClock.now
        let due = [watchdog.isDue(at: t0), watchdog.isDue(at: t0 + .seconds(4)), watchdog.isDue(at: t0 + .seconds(5))]
        #expect(due == [true, false, true])
        var off = SystemdWatchdog(interval: nil)
        let offDue = off.isDue(at: t0)
        #expect(!offDue)
    }
}
