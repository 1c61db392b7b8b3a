import Foundation
import Logging

/// The long-lived operations parts `vigil run` starts before the processing loop and stops
/// after it: the board, the systemd notifier, the SIGHUP handler, the admin HTTP server.
final class OperationsRuntime: Sendable {
    let board: OperationsBoard
    let notifier: SystemdNotifier
    let server: AdminServer?
    let configPath: String
    private let reloadSignal: ReloadSignal

    init(config: VigilConfiguration, configPath: String, logger: Logger) {
        board = OperationsBoard(
            alertFeed: AlertFeed(capacity: config.operations.page.eventRing),
            recentIncidents: RecentIncidents(capacity: config.operations.page.incidentRing))
        notifier = SystemdNotifier()
        self.configPath = configPath
        reloadSignal = ReloadSignal()
        reloadSignal.install(on: board)
        if let host = config.operations.admin.host, let port = config.operations.admin.port {
            let router = AdminRouter(board: board, grid: config.engine.grid, page: config.operations.page)
            do {
                let server = try AdminServer(host: host, port: port, router: router, board: board)
                logger.notice("admin API listening", metadata: ["admin.address": "\(server.boundAddress)", "admin.port": "\(server.port)"])
                self.server = server
            } catch {
                // Alerts matter more than metrics: keep processing, say so loudly (and in STATUS=).
                logger.critical(
                    "admin API not started; processing continues without health and metrics endpoints",
                    metadata: ["admin.listen": "\(config.operations.admin.listen)", "error": "\(error)"])
                server = nil
            }
        } else {
            server = nil
            logger.notice("admin API disabled (admin.listen is empty)")
        }
        if notifier.isEnabled {
            logger.info(
                "systemd notify enabled",
                metadata: [
                    "systemd.watchdog_usec":
                        "\(notifier.watchdogInterval.map { String($0.microseconds) } ?? "off")"
                ])
        }
    }

    /// The processing loop's hub; create it on the loop's thread.
    func makeHub(logger: Logger) -> OperationsHub {
        OperationsHub(board: board, notifier: notifier, logger: logger, configPath: configPath)
    }

    func stop() {
        server?.stop()
    }
}
