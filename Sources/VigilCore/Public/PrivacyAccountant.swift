/// The privacy budget ledger: a value-type state machine that decides whether a stream may start
/// spending for a new epoch, and remembers every charge so that a restart (which restores it from
/// the persisted ledger) never charges — or releases — the same thing twice.
///
/// ε is counted in integer micro-units (1 ε = 1 000 000), so sums are exact.
///
/// What one charge means: a stream (a key family at one period length) spends `cost` for an epoch
/// of `horizon` releases; every figure of those releases together is `cost`-DP for one incident.
/// Epochs cover disjoint periods, so one incident is in one epoch per stream. The lifetime total
/// bounds what several incidents (for example one person's over several years) can reveal together.
public struct PrivacyAccountant: Sendable, Equatable, Codable {
    /// The lifetime budget, in micro-ε.
    public let totalMicros: Int64
    /// Every charge made: "stream#epoch" → micro-ε.
    public private(set) var charges: [String: Int64] = [:]

    public init(totalMicros: Int64) { self.totalMicros = totalMicros }

    /// A ledger under a (possibly changed) lifetime budget that keeps every charge already made.
    public init(totalMicros: Int64, keeping earlier: PrivacyAccountant) {
        self.totalMicros = totalMicros
        charges = earlier.charges
    }

    public var spentMicros: Int64 { charges.values.reduce(0, +) }
    public var remainingMicros: Int64 { totalMicros - spentMicros }

    public enum Decision: Sendable, Equatable {
        /// Already paid for (including before a restart): release without charging again.
        case alreadyCharged
        /// Newly charged now; persist the ledger before publishing.
        case charged(micros: Int64)
        /// Not enough budget left: the stream must stop releasing.
        case exhausted(neededMicros: Int64, remainingMicros: Int64)
    }

    /// Asks to release in `epoch` of `stream` at `costMicros` for the whole epoch.
    public mutating func authorize(stream: String, epoch: Int, costMicros: Int64) -> Decision {
        let id = "\(stream)#\(epoch)"
        if charges[id] != nil { return .alreadyCharged }
        guard costMicros <= remainingMicros else {
            return .exhausted(neededMicros: costMicros, remainingMicros: remainingMicros)
        }
        charges[id] = costMicros
        return .charged(micros: costMicros)
    }

    /// Parses a decimal ε ("1", "0.25") into micro-ε; nil when not a positive decimal with at most 6 places.
    public static func micros(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int64(parts[0]), whole >= 0, whole < 1_000_000 else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...6).contains(digits.count), digits.allSatisfy(\.isASCII), let f = Int64(digits), f >= 0 else { return nil }
            fraction = f * Int64([1, 100_000, 10_000, 1000, 100, 10, 1][digits.count])
        }
        let total = whole * 1_000_000 + fraction
        return total > 0 ? total : nil
    }

    /// micro-ε as a decimal string, e.g. 250000 → "0.25".
    public static func format(micros: Int64) -> String {
        let whole = micros / 1_000_000
        let fraction = micros % 1_000_000
        guard fraction != 0 else { return "\(whole)" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 6 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
