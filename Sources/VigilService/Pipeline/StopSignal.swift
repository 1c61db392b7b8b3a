import Dispatch
import Foundation
import Synchronization

/// Turns SIGTERM/SIGINT into a flag the processing loop checks between batches; a second signal
/// forces an immediate exit for an operator who cannot wait for a clean drain.
final class StopSignal: @unchecked Sendable {
    private let requested = Atomic<Int>(0)
    /// Kept alive for the life of the process; touched only during installation.
    nonisolated(unsafe) private var sources: [DispatchSourceSignal] = []

    var isRequested: Bool { requested.load(ordering: .acquiring) > 0 }

    func request() { requested.add(1, ordering: .releasing) }

    /// Installs handlers for SIGTERM and SIGINT.
    func installHandlers() {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                let count = requested.add(1, ordering: .acquiringAndReleasing).newValue
                if count >= 2 {
                    let message = Array("vigil: second signal, exiting immediately without draining\n".utf8)
                    _ = message.withUnsafeBytes { Foundation.write(STDERR_FILENO, $0.baseAddress, $0.count) }
                    _exit(130)
                }
            }
            source.resume()
            sources.append(source)
        }
    }
}
