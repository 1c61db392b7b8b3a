/// `ScanOutput` as bytes on the findings topic (scan stage → lifecycle stage): exact to the bit,
/// so the lifecycle's alerts are byte-identical to one engine's, and versioned, so a lifecycle
/// reading a newer format says so instead of misreading it.
public enum ScanOutputCodec {
    public static let version: UInt8 = 1

    public static func encode(_ output: ScanOutput) -> [UInt8] {
        var w = BinaryWriter()
        w.u8(version)
        switch output {
        case .rechecks(let s, let hour, let results):
            w.u8(0)
            w.i64(s)
            w.i64(hour)
            w.u32(UInt32(results.count))
            for r in results {
                w.cell(r.centre)
                w.optionalString(r.layerName)
                switch r.recheck {
                case .open(let radius, let duration):
                    w.u8(0)
                    w.int(radius)
                    w.int(duration)
                case .ended(let best, let quiet):
                    w.u8(1)
                    w.bool(best != nil)
                    if let best { finding(best, &w) }
                    w.u32(UInt32(quiet.count))
                    for (radius, f) in quiet.sorted(by: { $0.key < $1.key }) {
                        w.int(radius)
                        finding(f, &w)
                    }
                }
            }
        case .candidate(let s, let c):
            w.u8(1)
            w.i64(s)
            finding(c.finding, &w)
            w.i64(c.eventTime.milliseconds)
            w.optionalString(c.neighbourhood)
        case .mark(let s):
            w.u8(2)
            w.i64(s)
        }
        return w.bytes
    }

    /// The output `bytes` encode; throws with the reason when they are not one.
    public static func decode(_ bytes: [UInt8]) throws(MalformedStageMessage) -> ScanOutput {
        var r = BinaryReader(bytes)
        let v = try r.u8("version")
        guard v == version else { throw MalformedStageMessage(reason: "findings format \(v), this build reads \(version)") }
        let output: ScanOutput
        switch try r.u8("kind") {
        case 0:
            let s = try r.i64("sequence")
            let hour = try r.i64("hour")
            var results: [ClusterWatchResult] = []
            for _ in 0..<(try r.count("results", minimumBytes: 10)) {
                let centre = try r.cell("centre")
                let layer = try r.optionalString("layer")
                let recheck: ClusterRecheck
                switch try r.u8("recheck") {
                case 0: recheck = .open(radiusCells: try r.int("radius"), durationHours: try r.int("duration"))
                case 1:
                    let best = try r.bool("best") ? try finding(&r) : nil
                    var quiet: [Int: ClusterFinding] = [:]
                    for _ in 0..<(try r.count("quiet", minimumBytes: 8)) {
                        let radius = try r.int("radius")
                        quiet[radius] = try finding(&r)
                    }
                    recheck = .ended(best: best, quiet: quiet)
                case let k: throw MalformedStageMessage(reason: "recheck kind \(k)")
                }
                results.append(ClusterWatchResult(centre: centre, layerName: layer, recheck: recheck))
            }
            output = .rechecks(sequence: s, hour: hour, results: results)
        case 1:
            let s = try r.i64("sequence")
            let f = try finding(&r)
            let time = Timestamp(milliseconds: try r.i64("event time"))
            output = .candidate(
                sequence: s, ClusterCandidate(finding: f, eventTime: time, neighbourhood: try r.optionalString("neighbourhood")))
        case 2: output = .mark(sequence: try r.i64("sequence"))
        case let k: throw MalformedStageMessage(reason: "output kind \(k)")
        }
        guard r.atEnd else { throw MalformedStageMessage(reason: "\(bytes.count - r.position) bytes after the output") }
        return output
    }

    private static func finding(_ f: ClusterFinding, _ w: inout BinaryWriter) {
        let c = f.cylinder
        w.cell(c.centre)
        w.u32(UInt32(c.layer))
        w.int(c.radiusCells)
        w.int(c.cellCount)
        w.int(c.durationHours)
        w.i64(c.endHour)
        w.int(c.observed)
        w.double(c.expected)
        w.double(c.baselineWeight)
        w.double(c.llr)
        w.double(c.surprise)
        w.optionalString(f.layerName)
        w.u32(UInt32(f.citations.count))
        for id in f.citations { w.string(id) }
        w.u32(UInt32(f.categories.count))
        for k in f.categories {
            w.string(k.category)
            w.int(k.count)
        }
    }

    private static func finding(_ r: inout BinaryReader) throws(MalformedStageMessage) -> ClusterFinding {
        let centre = try r.cell("centre")
        let layer = try r.u32("layer")
        guard layer <= UInt32(UInt16.max) else { throw MalformedStageMessage(reason: "layer \(layer)") }
        let cylinder = ScanCylinder(
            centre: centre, layer: UInt16(layer), radiusCells: try r.int("radius"), cellCount: try r.int("cells"),
            durationHours: try r.int("duration"), endHour: try r.i64("end hour"), observed: try r.int("observed"),
            expected: try r.double("expected"), baselineWeight: try r.double("weight"), llr: try r.double("llr"),
            surprise: try r.double("surprise"))
        let layerName = try r.optionalString("layer name")
        var citations: [String] = []
        for _ in 0..<(try r.count("citations", minimumBytes: 4)) { citations.append(try r.string("citation")) }
        var categories: [CategoryCount] = []
        for _ in 0..<(try r.count("categories", minimumBytes: 12)) {
            categories.append(CategoryCount(category: try r.string("category"), count: try r.int("count")))
        }
        return ClusterFinding(cylinder: cylinder, layerName: layerName, citations: citations, categories: categories)
    }
}
