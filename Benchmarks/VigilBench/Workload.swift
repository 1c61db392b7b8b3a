import Foundation
import VigilCore

/// The benchmark's input: the real incidents, replicated and shifted in time to any size, sorted
/// by (event time, id) as `vigil replay` does, plus the canonical wire bytes of every event.
struct Workload {
    let base: Int
    let incidents: [Incident]
    let wire: [[UInt8]]
    let decoder: IncidentDecoder

    /// Toronto's bounding box, as in Config/vigil.toml.
    static let bounds = GeoBounds(south: 43.58, west: -79.64, north: 43.86, east: -79.11)

    /// `overlay`: copy k shifted by k × 7 minutes (a denser city); `sequential`: copies one after
    /// another in time (a longer history).
    init(path: String, copies: Int, mode: String) throws {
        let raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let decoder = IncidentDecoder(bounds: Self.bounds)
        self.decoder = decoder
        var originals: [Incident] = []
        for line in Self.split(raw) {
            if case .success(let i) = line.withUnsafeBytes({ decoder.decode($0) }) { originals.append(i) }
        }
        guard let first = originals.min(by: { $0.eventTime < $1.eventTime }), let last = originals.max(by: { $0.eventTime < $1.eventTime })
        else {
            throw BenchError("no decodable incidents in \(path)")
        }
        originals.sort { ($0.eventTime, $0.id) < ($1.eventTime, $1.id) }
        let span = (last.eventTime.milliseconds - first.eventTime.milliseconds) + 86_400_000
        var incidents: [Incident] = []
        incidents.reserveCapacity(originals.count * copies)
        for k in 0..<copies {
            let shift = mode == "sequential" ? Int64(k) * span : Int64(k) * 7 * 60_000
            for var i in originals {
                i.eventTime = Timestamp(milliseconds: i.eventTime.milliseconds + shift)
                if k > 0 { i.id += "-c\(k)" }
                incidents.append(i)
            }
        }
        incidents.sort { ($0.eventTime, $0.id) < ($1.eventTime, $1.id) }
        base = originals.count
        self.incidents = incidents
        wire = incidents.map(Self.encode)
    }

    /// The events whose event time lies in the last `days` days of the stream.
    func lastDays(_ days: Int) -> Range<Int> {
        guard let newest = incidents.last?.eventTime.milliseconds else { return 0..<0 }
        let cutoff = newest - Int64(days) * 86_400_000
        var lo = 0
        var hi = incidents.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if incidents[mid].eventTime.milliseconds <= cutoff { lo = mid + 1 } else { hi = mid }
        }
        return lo..<incidents.count
    }

    /// The non-empty lines of an NDJSON file.
    static func split(_ raw: [UInt8]) -> [[UInt8]] {
        raw.split(separator: 0x0A).map { Array($0) }
    }

    static func encode(_ i: Incident) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.key("id")
        w.string(i.id)
        w.key("event_time")
        w.timestamp(i.eventTime)
        w.key("category")
        w.string(i.category)
        if let p = i.premises {
            w.key("premises")
            w.string(p)
        }
        if let n = i.neighbourhood {
            w.key("neighbourhood")
            w.string(n)
        }
        w.key("lat")
        w.double(i.latitude)
        w.key("lon")
        w.double(i.longitude)
        w.key("source")
        w.string("toronto-mci")
        w.endObject()
        return w.bytes
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
