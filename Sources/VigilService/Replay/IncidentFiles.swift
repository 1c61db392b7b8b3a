import Foundation
import VigilCore

/// Loads incidents for a replay from Toronto-layout CSV or canonical NDJSON files.
struct IncidentFiles {
    var incidents: [Incident] = []
    /// Rejected rows/lines by reason (the replay's dead letters).
    var rejected: [String: Int] = [:]
    var rejectExamples: [String] = []

    static func load(_ paths: [String], decoder: IncidentDecoder) throws -> IncidentFiles {
        var out = IncidentFiles()
        var csv = TorontoCSV()
        for path in paths {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw ReplayError("cannot read input file '\(path)'") }
            let head = String(decoding: handle.readData(ofLength: 256), as: UTF8.self)
            try? handle.close()
            if TorontoCSV.looksLikeToronto(header: head.split(separator: "\n").first ?? "") {
                for row in try csv.read(path: path) {
                    if let incident = row.incident {
                        switch decoder.validate(incident) {
                        case .success(let ok): out.incidents.append(ok)
                        case .failure(let error): out.reject(error.reason.rawValue, "\(path): \(incident.id): \(error.message)")
                        }
                    } else {
                        out.reject("malformed_row", "\(path): \(row.error ?? "")")
                    }
                }
            } else {
                let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
                data.withUnsafeBytes { all in
                    var lineNumber = 0
                    var start = 0
                    while start < all.count {
                        var end = start
                        while end < all.count && all[end] != 0x0A { end += 1 }
                        lineNumber += 1
                        var trimmedEnd = end
                        while trimmedEnd > start && (all[trimmedEnd - 1] == 0x0D || all[trimmedEnd - 1] == 0x20) { trimmedEnd -= 1 }
                        if trimmedEnd > start {
                            switch decoder.decode(UnsafeRawBufferPointer(rebasing: all[start..<trimmedEnd])) {
                            case .success(let incident): out.incidents.append(incident)
                            case .failure(let error): out.reject(error.reason.rawValue, "\(path):\(lineNumber): \(error)")
                            }
                        }
                        start = end + 1
                    }
                }
            }
        }
        return out
    }

    private mutating func reject(_ reason: String, _ example: String) {
        rejected[reason, default: 0] += 1
        if rejectExamples.count < 5 { rejectExamples.append(example) }
    }
}
