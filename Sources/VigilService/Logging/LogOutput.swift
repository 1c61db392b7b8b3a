import Foundation
import Synchronization

/// The daemon's one output stream for log lines and alert lines: whole lines, never interleaved.
///
/// Under systemd stdout goes to journald; when `JOURNAL_STREAM` says so, each line carries a
/// `<N>` syslog priority prefix so `journalctl -p` filtering works.
final class LogOutput: Sendable {
    static let shared = LogOutput()

    private let lock = Mutex<Void>(())
    let journald: Bool

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        journald = environment["JOURNAL_STREAM"] != nil
    }

    /// Writes `line` plus a newline with one `write(2)`. `priority` is the syslog level (0–7).
    func write(_ line: [UInt8], priority: Int) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(line.count + 5)
        if journald { bytes.append(contentsOf: Array("<\(priority)>".utf8)) }
        bytes.append(contentsOf: line)
        bytes.append(0x0A)
        lock.withLock { _ in
            bytes.withUnsafeBytes { buf in
                var offset = 0
                while offset < buf.count {
                    let n = Foundation.write(STDOUT_FILENO, buf.baseAddress! + offset, buf.count - offset)
                    if n <= 0 {
                        if errno == EINTR { continue }
                        return
                    }
                    offset += n
                }
            }
        }
    }
}
