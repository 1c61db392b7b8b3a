import Foundation
import VigilCore

/// Renders an alert as an OASIS Common Alerting Protocol 1.2 message (`application/cap+xml`),
/// for dispatch systems that speak CAP rather than Vigil's JSON. Validated against the OASIS
/// XSD in `Config/schemas/CAP-v1.2.xsd` by the tests.
///
/// Mind CAP's conventions: points are "lat,lon" (the reverse of GeoJSON), a circle is
/// "lat,lon radius_km", polygons are closed, times carry a numeric offset (never "Z").
enum CAPAlert {
    static let contentType = "application/cap+xml"

    static func render(
        _ alert: Alert, sent: Timestamp, sender: String, status: String, scope: String,
        grid: MetricGrid
    ) -> [UInt8] {
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"
        func element(_ name: String, _ value: String) { x += "<\(name)>\(escape(value))</\(name)>" }
        func parameter(_ name: String, _ value: String) {
            x += "<parameter><valueName>\(escape(name))</valueName><value>\(escape(value))</value></parameter>"
        }
        element("identifier", alert.id)
        element("sender", sender)
        element("sent", time(sent))
        element("status", status)
        element("msgType", "Alert")
        element("scope", scope)
        x += "<info>"
        element("language", "en")
        element("category", "Security")
        element("event", event(alert))
        element("responseType", alert.kind == .hotspotClosed || alert.kind == .clusterEnded ? "AllClear" : "Monitor")
        element("urgency", urgency(alert.kind))
        element("severity", severity(alert.severity))
        element(
            "certainty",
            [.hotspotClosed, .countThreshold, .clusterEmerging, .clusterGrew, .clusterEnded].contains(alert.kind) ? "Observed" : "Likely")
        element("senderName", "Vigil incident analytics")
        element("headline", headline(alert))
        element("description", description(alert))
        parameter("vigil:kind", alert.kind.rawValue)
        parameter("vigil:rule", alert.rule)
        parameter("vigil:cell", alert.cell.description)
        parameter("vigil:count", String(alert.count))
        parameter("vigil:window_start", time(alert.windowStart))
        parameter("vigil:window_end", time(alert.windowEnd))
        parameter("vigil:event_time", time(alert.eventTime))
        if let category = alert.category { parameter("vigil:category", category) }
        if let threshold = alert.threshold { parameter("vigil:threshold", String(threshold)) }
        if let s = alert.surge {
            parameter("vigil:expected", String(format: "%.3f", s.expected))
            parameter("vigil:p_value", String(format: "%.3g", s.pValue))
        }
        if let c = alert.cluster {
            parameter("vigil:cluster_id", c.id)
            parameter("vigil:expected", String(format: "%.3f", c.expected))
            parameter("vigil:recurrence_interval_days", String(format: "%.1f", c.recurrenceDays))
        }
        if let h = alert.hotspot {
            parameter("vigil:hotspot_id", h.id)
            parameter("vigil:hotspot_cells", String(h.cells.count))
            parameter("vigil:max_gi_star", String(format: "%.3f", h.maxGiStar))
        }
        x += "<area>"
        element("areaDesc", areaDescription(alert))
        if let h = alert.hotspot, let ring = polygon(h.polygon.isEmpty ? grid.outline(of: h.cells) : h.polygon) {
            element("polygon", ring)
        } else if let c = alert.cluster {
            element(
                "circle", "\(coordinate(alert.latitude)),\(coordinate(alert.longitude)) \(String(format: "%.3f", c.radiusMetres / 1000))")
        } else {
            // The cell's circumscribed circle: its centre and half its diagonal.
            let radiusKm = alert.cellSize * 2.0.squareRoot() / 2 / 1000
            element("circle", "\(coordinate(alert.latitude)),\(coordinate(alert.longitude)) \(String(format: "%.3f", radiusKm))")
        }
        x += "</area></info></alert>"
        return Array(x.utf8)
    }

    /// CAP's dateTime: whole seconds with an explicit "+00:00" (the schema rejects "Z").
    static func time(_ t: Timestamp) -> String {
        let ms = t.milliseconds
        let whole = Timestamp(milliseconds: (ms >= 0 ? ms / 1000 : (ms - 999) / 1000) * 1000)
        return String(RFC3339.format(whole).dropLast()) + "+00:00"
    }

    /// "lat,lon lat,lon …", closed, at least four points; nil for a degenerate outline.
    static func polygon(_ points: [GeoPoint]) -> String? {
        var ring = points
        guard let first = ring.first else { return nil }
        if ring.last != first { ring.append(first) }
        guard ring.count >= 4 else { return nil }
        return ring.map { "\(coordinate($0.latitude)),\(coordinate($0.longitude))" }.joined(separator: " ")
    }

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // XML 1.0 forbids most control characters even escaped.
            case _ where ch.value < 0x20 && ch != "\n" && ch != "\t" && ch != "\r": out += " "
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    private static func coordinate(_ v: Double) -> String { String(format: "%.6f", v) }

    private static func urgency(_ kind: Alert.Kind) -> String {
        switch kind {
        case .countThreshold, .surge, .clusterEmerging, .clusterGrew: "Immediate"
        case .clusterEnded: "Past"
        case .hotspotOpened, .hotspotGrew, .highRisk: "Expected"
        case .hotspotClosed: "Past"
        }
    }

    private static func severity(_ s: Alert.Severity) -> String {
        switch s {
        case .high: "Severe"
        case .medium: "Moderate"
        case .low: "Minor"
        }
    }

    private static func event(_ alert: Alert) -> String {
        switch alert.kind {
        case .countThreshold: "Incident cluster: \(alert.category ?? "incidents")"
        case .surge: "Incident surge: \(alert.category ?? "incidents")"
        case .hotspotOpened: "Hotspot opened"
        case .hotspotGrew: "Hotspot grew"
        case .hotspotClosed: "Hotspot closed"
        case .highRisk: "Near-repeat risk: \(alert.category ?? "incident")"
        case .clusterEmerging: "Emerging cluster: \(alert.category ?? "incidents")"
        case .clusterGrew: "Cluster grew: \(alert.category ?? "incidents")"
        case .clusterEnded: "Cluster ended: \(alert.category ?? "incidents")"
        }
    }

    private static func areaDescription(_ alert: Alert) -> String {
        if let h = alert.hotspot { return "Hotspot \(h.id) (\(h.cells.count) cells)" }
        if let c = alert.cluster {
            return "Within \(Int(c.radiusMetres)) m of \(alert.neighbourhood.map { "\($0), " } ?? "")grid cell \(alert.cell)"
        }
        if let n = alert.neighbourhood { return "\(n), grid cell \(alert.cell)" }
        return "Grid cell \(alert.cell)"
    }

    private static func headline(_ alert: Alert) -> String {
        let what = alert.category ?? "incidents"
        switch alert.kind {
        case .countThreshold: return "\(alert.count) \(what) incidents in one cell within \(duration(alert))"
        case .surge: return "Surge of \(what) in \(alert.neighbourhood ?? "cell \(alert.cell)"): \(alert.count) in \(duration(alert))"
        case .hotspotOpened: return "New hotspot of \(alert.hotspot?.cells.count ?? 0) cells"
        case .hotspotGrew: return "Hotspot grew to \(alert.hotspot?.cells.count ?? 0) cells"
        case .hotspotClosed: return "Hotspot closed"
        case .highRisk:
            let score = alert.risk.map { String(format: "%.2f", $0.score) } ?? "?"
            return "High near-repeat risk after \(what) (score \(score)): another incident nearby is likely within \(duration(alert))"
        case .clusterEmerging, .clusterGrew, .clusterEnded: return alert.summary
        }
    }

    private static func description(_ alert: Alert) -> String {
        var text = "\(headline(alert)). Window \(alert.windowStart) to \(alert.windowEnd); \(alert.count) incidents."
        if let t = alert.threshold { text += " Threshold \(t)." }
        if let s = alert.surge { text += String(format: " Seasonal expectation %.2f, Poisson upper-tail p = %.3g.", s.expected, s.pValue) }
        if let h = alert.hotspot { text += String(format: " Max Gi* %.2f, %.1f incidents/km².", h.maxGiStar, h.intensity) }
        if let r = alert.risk {
            text += String(
                format: " Model %@ %@, score %.3f >= threshold %.3f within %.0f m.", r.modelKind, r.modelVersion, r.score, r.threshold,
                r.radiusMetres)
            if !r.topFeatures.isEmpty { text += " Top features: " + r.topFeatures.map { "\($0.name)" }.joined(separator: ", ") + "." }
        }
        if !alert.incidentIDs.isEmpty { text += " Incidents: \(alert.incidentIDs.joined(separator: ", "))." }
        return text
    }

    private static func duration(_ alert: Alert) -> String {
        EventDuration(milliseconds: alert.windowEnd.milliseconds - alert.windowStart.milliseconds).description
    }
}
