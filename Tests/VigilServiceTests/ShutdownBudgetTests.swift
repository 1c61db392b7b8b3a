import Foundation
import Testing

@testable import VigilService

/// Issue 12, "shutdown can outlast TimeoutStopSec" and "blocking calls without a watchdog ping":
/// the loop's waits (`WaitBudget`) and the configuration's limits held against the systemd unit
/// as shipped. Changing the unit or a budget so that systemd could kill a healthy daemon fails here.
@Suite("Wait budgets fit the systemd unit: stop inside TimeoutStopSec, every wait inside WatchdogSec")
struct ShutdownBudgetTests {
    static let unit: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("Deploy/vigil.service"), encoding: .utf8)) ?? ""
    }()

    /// Seconds of a `Key=30` or `Key=30s` line of the unit.
    static func seconds(_ key: String) -> Int? {
        for line in unit.split(separator: "\n") where line.hasPrefix("\(key)=") {
            var value = line.dropFirst(key.count + 1)
            if value.hasSuffix("s") { value = value.dropLast() }
            return Int(value)
        }
        return nil
    }

    static func config(shutdownTimeout: String) throws -> VigilConfiguration {
        try VigilConfiguration.parse(
            toml: "[pipeline]\nshutdown_timeout = \"\(shutdownTimeout)\"\n[admin]\nlisten = \"\"\n", environment: [:])
    }

    @Test func theLongestAcceptedShutdownEndsInsideTheUnitsStopTimeoutWithMargin() throws {
        let stopMs = try #require(Self.seconds("TimeoutStopSec"), "the unit sets TimeoutStopSec") * 1000
        // The longest shutdown_timeout the configuration accepts (the next second is refused, naming the key).
        let longest = try Self.config(shutdownTimeout: "25s").pipeline.shutdownTimeoutMs
        #expect(throws: ConfigurationError.self) { try Self.config(shutdownTimeout: "26s") }
        // Drain, then the final commit and leaving the group inside the same deadline, then the
        // producer closes inside what is left of it; a stop never takes longer than the budget
        // plus the producer's close, and 3 s are left for the process to exit.
        #expect(WaitBudget.shutdownDrainMs(longest) < longest, "the drain leaves time for the commit and leaving the group")
        #expect(longest + WaitBudget.producerCloseMs + 3_000 <= stopMs, "TimeoutStopSec=\(stopMs / 1000) leaves no margin")
        // The default leaves more.
        let defaults = try VigilConfiguration.parse(toml: "[admin]\nlisten = \"\"\n", environment: [:])
        #expect(defaults.pipeline.shutdownTimeoutMs + WaitBudget.producerCloseMs + 5_000 <= stopMs)
    }

    /// The loop feeds the watchdog between waits, so two waits back to back (a broker call and
    /// a seek; a send that waited for room and the next) must fit in the ping interval the unit
    /// expects, half of WatchdogSec.
    @Test func twoWaitsBackToBackFitHalfTheWatchdogInterval() throws {
        let watchdogMs = try #require(Self.seconds("WatchdogSec"), "the unit sets WatchdogSec") * 1000
        for wait in [Int(WaitBudget.brokerCallMs), WaitBudget.queueFullMs, Int(WaitBudget.drainPollMs), WaitBudget.producerCloseMs] {
            #expect(2 * wait <= watchdogMs / 2, "a \(wait) ms wait is too long for WatchdogSec=\(watchdogMs / 1000)")
        }
    }
}
