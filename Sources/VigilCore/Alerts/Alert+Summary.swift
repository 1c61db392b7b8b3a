extension Alert {
    /// One line a dispatcher reads on the log or a screen: what happened, where, over what time,
    /// against what expectation, and how unusual it is.
    public var summary: String {
        let place = placeName
        switch kind {
        case .clusterEmerging, .clusterGrew:
            guard let c = cluster else { return "\(kind.rawValue) at \(place)" }
            // Rows at one point within the repeat window count once; when the window holds more
            // rows than it counts, say so, or "4 Auto Theft" beside ten cited reports reads as an error.
            let reports = c.categories.reduce(0) { $0 + $1.count }
            let what = "\(c.observed) \(c.layer ?? "incidents")" + (reports > c.observed ? " (\(reports) reports)" : "")
            let head = kind == .clusterEmerging ? "emerging cluster" : "cluster grew (from \(c.previousObserved ?? 0))"
            return "\(head): \(what) within \(Int(c.radiusMetres.rounded())) m of \(place) in \(Self.span(hours: c.durationHours)) "
                + "(expected \(Self.expected(c.expected))), \(Self.recurrence(c.recurrenceDays)) by chance"
        case .clusterEnded:
            guard let c = cluster else { return "cluster ended at \(place)" }
            if c.observed == 0 {
                return "cluster ended: \(c.layer ?? "incidents") near \(place) has faded "
                    + "(peaked at \(c.previousObserved ?? 0); too few incidents left in any window)"
            }
            // Say why a count far above its expectation is not news: with every place, radius and
            // window tested, chance reaches this strength somewhere in the city that often.
            return "cluster ended: \(c.layer ?? "incidents") near \(place) has faded "
                + "(peaked at \(c.previousObserved ?? 0); its strongest window now, \(c.observed) in \(Self.span(hours: c.durationHours)) "
                + "against \(Self.expected(c.expected)) expected, is a level chance reaches somewhere in the city "
                + "\(Self.recurrence(c.recurrenceDays)))"
        case .surge:
            let expected = surge.map { Self.expected($0.expected) } ?? "?"
            let p = surge.map { Self.scientific($0.pValue) } ?? "?"
            return "surge: \(count) \(category ?? "incidents") in \(neighbourhood ?? place) in \(Self.span(hours: windowHours)) "
                + "(expected \(expected), p = \(p))"
        case .countThreshold:
            return "count: \(count) \(category ?? "incidents") in the 250 m cell at \(place) in \(Self.span(hours: windowHours)) "
                + "(threshold \(threshold ?? count))"
        case .hotspotOpened, .hotspotGrew, .hotspotClosed:
            let cells = hotspot?.cells.count ?? 0
            let verb = kind == .hotspotOpened ? "opened" : kind == .hotspotGrew ? "grew to" : "closed at"
            return "chronic hotspot \(verb) \(cells) cells at \(place): \(count) incidents in \(Self.span(hours: windowHours))"
                + (hotspot.map { " (max Gi* \(Self.decimal($0.maxGiStar)))" } ?? "")
        case .highRisk:
            let score = risk.map { Self.decimal($0.score, places: 2) } ?? "?"
            let bar = risk.map { Self.decimal($0.threshold, places: 3) } ?? "?"
            return "high near-repeat risk: \(category ?? "incident") at \(place) scored \(score) (threshold \(bar))"
        }
    }

    private var windowHours: Int { Int((windowEnd.milliseconds - windowStart.milliseconds) / 3_600_000) }

    private var placeName: String {
        let at = "(\(Self.decimal(latitude, places: 4)), \(Self.decimal(longitude, places: 4)))"
        guard let n = neighbourhood else { return at }
        return "\(n) \(at)"
    }

    static func span(hours: Int) -> String {
        if hours >= 72, hours % 24 == 0 { return "\(hours / 24) days" }
        return hours == 1 ? "1 h" : "\(hours) h"
    }

    static func recurrence(_ days: Double) -> String {
        if !days.isFinite || days >= 365.25 * 1000 { return "less than once in 1000 years" }
        if days >= 365.25 { return "once in \(decimal(days / 365.25, places: 1)) years" }
        if days >= 1 { return "once in \(Int(days.rounded())) days" }
        return "about \(Int((1 / days).rounded())) times a day"
    }

    /// Small expectations keep two significant digits ("0.04"), larger ones one decimal.
    static func expected(_ x: Double) -> String {
        if x >= 0.1 { return decimal(x) }
        if x >= 0.01 { return decimal(x, places: 2) }
        if x >= 0.001 { return decimal(x, places: 3) }
        return "< 0.001"
    }

    static func decimal(_ x: Double, places: Int = 1) -> String {
        var w = JSONWriter()
        w.double(x, decimals: places)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func scientific(_ x: Double) -> String {
        var w = JSONWriter()
        w.double(x)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
