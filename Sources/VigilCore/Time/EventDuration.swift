/// A span of event time in milliseconds (not `Swift.Duration`, which is for wall-clock waits).
public struct EventDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public static func seconds(_ s: Int64) -> EventDuration { EventDuration(milliseconds: s * 1000) }
    public static func minutes(_ m: Int64) -> EventDuration { .seconds(m * 60) }
    public static func hours(_ h: Int64) -> EventDuration { .seconds(h * 3600) }
    public static func days(_ d: Int64) -> EventDuration { .seconds(d * 86400) }

    public static func < (a: EventDuration, b: EventDuration) -> Bool { a.milliseconds < b.milliseconds }

    /// "1h30m" style text; accepts d, h, m, s, ms units (see `parse`).
    public var description: String {
        var rest = milliseconds
        if rest == 0 { return "0s" }
        var out = rest < 0 ? "-" : ""
        rest = abs(rest)
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        return out
    }

    /// Parses "15m", "1h", "24h", "7d", "1h30m", "500ms", "30s". Nil for anything else.
    public static func parse(_ text: String) -> EventDuration? {
        let units: [(String, Int64)] = [("ms", 1), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        var rest = Substring(text).drop { $0 == " " }
        while rest.last == " " { rest = rest.dropLast() }
        guard !rest.isEmpty else { return nil }
        var total: Int64 = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let value = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let (unit, size) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            let (product, overflow) = value.multipliedReportingOverflow(by: size)
            guard !overflow else { return nil }
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            guard !sumOverflow else { return nil }
            total = sum
        }
        return EventDuration(milliseconds: total)
    }
}
