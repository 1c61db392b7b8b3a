import Dispatch
import Foundation

/// Turns SIGHUP into a reload request on the board; the processing loop performs the reload
/// between batches, so no event is processed under half-applied settings.
final class ReloadSignal: @unchecked Sendable {
    /// Kept alive for the life of the process; touched only during installation.
    private var source: DispatchSourceSignal?

    func install(on board: OperationsBoard) {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { board.requestReload() }
        source.resume()
        self.source = source
    }
}
