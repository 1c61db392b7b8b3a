import ArgumentParser
import Foundation
import VigilCore

/// `vigil replay`: the backtesting tool. Runs the same engine as `vigil run` over incident files
/// in event-time order and writes the alerts it would have raised, deterministically.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay incident files (Toronto CSV layout or canonical NDJSON) through the engine; write alerts as NDJSON.",
        discussion: """
        Incidents are sorted by (event time, id) unless --keep-order is given, then processed by one engine \
        (one partition). Alerts are written without detected_at, so two replays of the same input are byte-identical. \
        A summary goes to stderr (and to --summary as JSON).
        """)

    @Option(name: .shortAndLong, help: "Input file; repeat for several (CSV in the Toronto MCI layout, or NDJSON).")
    var input: [String]

    @Option(name: .shortAndLong, help: "Configuration file (engine sections are used; Kafka is not). Default: built-in defaults.")
    var config: String?

    @Option(name: .shortAndLong, help: "Write alerts here as NDJSON (default: standard output).")
    var output: String?

    @Flag(help: "Skip the closing hotspot evaluation over what was read, as the daemon does (it never sees an end).")
    var noFinalEvaluation = false

    @Option(help: "Write the summary as JSON to this file.")
    var summary: String?

    @Flag(help: "Process in file order instead of event-time order (exercises the lateness path).")
    var keepOrder = false

    @Option(help: "Sample this many incidents and record their window counts (all families and horizons).")
    var probes: Int = 0

    @Option(help: "Seed for --probes sampling.")
    var probeSeed: UInt64 = 1

    @Option(help: "Write probe records (NDJSON) here.")
    var probeOutput: String?

    @Option(help: "Write the final hotspot evaluation (Gi* hot cells, hotspots) as JSON here.")
    var hotspotsOutput: String?

    @Option(help: "Write every cylinder of every N-th cluster-scan evaluation (see --cluster-probe-every) as NDJSON here, for the offline twin.")
    var clusterProbes: String?

    @Option(help: "With --cluster-probes: record one evaluation in this many.")
    var clusterProbeEvery: Int = 1

    @Flag(name: .shortAndLong, help: "No progress lines.")
    var quiet = false

    func run() throws {
        let settings: VigilConfiguration
        do {
            settings = try config.map { try VigilConfiguration.load(path: $0, environment: ProcessInfo.processInfo.environment) }
                ?? VigilConfiguration.parse(toml: "", environment: [:])
        } catch {
            FileHandle.standardError.write(Data("vigil: \(error)\n".utf8))
            throw ExitCode(78)
        }
        let started = Date()
        var files = try IncidentFiles.load(input, decoder: settings.decoder)
        if !keepOrder {
            files.incidents.sort { ($0.eventTime, $0.id) < ($1.eventTime, $1.id) }
        }
        let loadSeconds = Date().timeIntervalSince(started)
        let incidents = files.incidents
        if !quiet { progress("loaded \(incidents.count) incidents (\(files.rejected.values.reduce(0, +)) rejected) in \(String(format: "%.1f", loadSeconds)) s") }

        let out = try OutputFile(path: output)
        let probeOut = try probeOutput.map { try OutputFile(path: $0) }
        let probeSet = Self.sample(probes, of: incidents.count, seed: probeSeed)

        var engine = IncidentEngine(configuration: settings.engine)
        let clusterProbeOut = try clusterProbes.map { try OutputFile(path: $0) }
        if clusterProbeOut != nil { engine.recordClusterProbes(every: max(1, clusterProbeEvery)) }
        var byKind: [String: Int] = [:]
        var lastProgress = Date()
        let engineStart = Date()
        func emit(_ alerts: [Alert]) {
            for alert in alerts {
                byKind[alert.kind.rawValue, default: 0] += 1
                out.writeLine(AlertJSON.encode(alert, detectedAt: nil))
            }
        }
        for (index, incident) in incidents.enumerated() {
            switch engine.process(incident) {
            case .accepted(let alerts): emit(alerts)
            case .late: break
            }
            if let clusterProbeOut {
                for probe in engine.drainClusterProbes() { clusterProbeOut.writeLine(Self.clusterProbeRecord(probe)) }
            }
            if probeSet.contains(index), let probeOut {
                probeOut.writeLine(Self.probeRecord(index: index, incident: incident, counts: engine.windowCounts(for: incident)))
            }
            if !quiet, index & 0x3FFF == 0, Date().timeIntervalSince(lastProgress) >= 2 {
                lastProgress = Date()
                let rate = Double(index) / Date().timeIntervalSince(engineStart)
                progress("replayed \(index)/\(incidents.count) incidents, event time \(incident.eventTime), \(byKind.values.reduce(0, +)) alerts, \(Int(rate)) incidents/s")
            }
        }
        if !noFinalEvaluation { emit(engine.finish()) }
        out.close()
        probeOut?.close()
        clusterProbeOut?.close()
        let engineSeconds = Date().timeIntervalSince(engineStart)

        if let hotspotsOutput, let snapshot = engine.hotspotSnapshot {
            let file = try OutputFile(path: hotspotsOutput)
            file.writeLine(Self.hotspotJSON(snapshot, settings: settings))
            file.close()
        }

        let stats = engine.statistics
        let first = incidents.first?.eventTime.milliseconds, last = incidents.last?.eventTime.milliseconds
        // Rates per day of data: days with at least one incident (robust to a few ancient late reports).
        let days = Double(max(1, Set(incidents.map { $0.eventTime.milliseconds >= 0 ? $0.eventTime.milliseconds / 86_400_000 : ($0.eventTime.milliseconds - 86_399_999) / 86_400_000 }).count))
        var w = JSONWriter()
        w.beginObject()
        w.key("incidents"); w.int(incidents.count)
        w.key("accepted"); w.int(stats.accepted)
        w.key("late"); w.int(stats.late)
        w.key("rejected"); w.beginObject(); for (k, v) in files.rejected.sorted(by: { $0.key < $1.key }) { w.dynamicKey(k); w.int(v) }; w.endObject()
        w.key("alerts"); w.int(byKind.values.reduce(0, +))
        w.key("alerts_by_kind"); w.beginObject(); for (k, v) in byKind.sorted(by: { $0.key < $1.key }) { w.dynamicKey(k); w.int(v) }; w.endObject()
        w.key("alerts_per_day"); w.beginObject(); for (k, v) in byKind.sorted(by: { $0.key < $1.key }) { w.dynamicKey(k); w.double(Double(v) / days, decimals: 4) }; w.endObject()
        if let first, let last { w.key("first_event_ms"); w.int(Int(first)); w.key("last_event_ms"); w.int(Int(last)) }
        w.key("days_with_incidents"); w.int(Int(days))
        if let risk = engine.risk {
            w.key("model"); w.string("\(risk.model.kind) \(risk.version) (\(risk.hash))")
            w.key("scored"); w.int(stats.scored)
            w.key("high_risk"); w.int(stats.highRisk)
        }
        w.key("cluster_evaluations"); w.int(stats.clusterEvaluations)
        w.key("clusters_open_at_end"); w.int(stats.openClusters)
        w.key("hotspots_at_end"); w.int(engine.hotspotSnapshot?.hotspots.count ?? 0)
        w.key("hotspot_evaluations"); w.int(stats.hotspotEvaluations)
        w.key("keys_at_end"); w.int(stats.keys)
        let digest = engine.stateDigest
        w.key("state_digest"); w.string(digest.digest)
        w.key("state_counts"); w.int(digest.counts)
        w.key("keys_expired"); w.int(stats.keysExpired)
        w.key("cap_hits"); w.int(stats.capHits)
        w.key("load_seconds"); w.double(loadSeconds, decimals: 3)
        w.key("engine_seconds"); w.double(engineSeconds, decimals: 3)
        w.key("incidents_per_second"); w.double(Double(incidents.count) / max(engineSeconds, 1e-9), decimals: 0)
        w.endObject()
        FileHandle.standardError.write(Data(w.bytes + [0x0A]))
        if let summary { try Data(w.bytes + [0x0A]).write(to: URL(fileURLWithPath: summary)) }
        for example in files.rejectExamples where !quiet { progress("rejected: \(example)") }
    }

    private func progress(_ text: String) {
        FileHandle.standardError.write(Data("vigil replay: \(text)\n".utf8))
    }

    /// `count` distinct indices in `0..<n`, chosen by a seeded SplitMix64 (reproducible).
    static func sample(_ count: Int, of n: Int, seed: UInt64) -> Set<Int> {
        guard count > 0, n > 0 else { return [] }
        var state = seed
        var chosen = Set<Int>()
        while chosen.count < min(count, n) {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            chosen.insert(Int((z ^ (z >> 31)) % UInt64(n)))
        }
        return chosen
    }

    static func probeRecord(index: Int, incident: Incident, counts: [WindowCount]) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("index"); w.int(index)
        w.key("id"); w.string(incident.id)
        w.key("event_time_ms"); w.int(Int(incident.eventTime.milliseconds))
        w.key("counts")
        w.beginArray()
        for c in counts {
            w.beginObject()
            w.key("family"); w.string(c.family.name)
            if let category = c.category { w.key("category"); w.string(category) }
            if let n = c.neighbourhood { w.key("neighbourhood"); w.string(n) }
            if let cell = c.cell { w.key("cell"); w.string(cell.description) }
            w.key("horizon_s"); w.int(Int(c.spec.horizon.milliseconds / 1000))
            w.key("resolution_s"); w.int(Int(c.spec.resolution.milliseconds / 1000))
            w.key("count"); w.int(c.count)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    static func hotspotJSON(_ s: HotspotSnapshot, settings: VigilConfiguration) -> [UInt8] {
        let grid = settings.engine.grid
        let b = grid.bounds
        let (width, height) = grid.project(latitude: b.north, longitude: b.east)
        var w = JSONWriter(capacity: 1 << 16)
        w.beginObject()
        w.key("evaluated_at"); w.timestamp(s.evaluatedAt)
        w.key("evaluated_day"); w.int(Int(s.windowEndBucket))
        w.key("z_threshold"); w.double(settings.engine.hotspots?.zThreshold ?? 0)
        w.key("min_local_count"); w.int(settings.engine.hotspots?.minimumLocalCount ?? 0)
        w.key("grid")
        w.beginObject()
        w.key("south"); w.double(b.south); w.key("west"); w.double(b.west); w.key("north"); w.double(b.north); w.key("east"); w.double(b.east)
        w.key("cell_size_m"); w.double(grid.cellSize)
        w.key("columns"); w.int(Int((width / grid.cellSize).rounded(.up)))
        w.key("rows"); w.int(Int((height / grid.cellSize).rounded(.up)))
        w.endObject()
        w.key("mean"); w.double(s.giStar.mean)
        w.key("std"); w.double(s.giStar.standardDeviation)
        w.key("hot_cells")
        w.beginArray()
        for c in s.giStar.hot {
            w.beginObject()
            w.key("cell"); w.string(c.cell.description); w.key("x"); w.int(Int(c.cell.x)); w.key("y"); w.int(Int(c.cell.y))
            w.key("count"); w.int(c.count); w.key("local_sum"); w.int(c.localSum); w.key("gi_star"); w.double(c.giStar)
            w.endObject()
        }
        w.endArray()
        w.key("hotspots")
        w.beginArray()
        for h in s.hotspots {
            w.beginObject()
            w.key("id"); w.string(h.id)
            w.key("cells"); w.beginArray(); for c in h.cells { w.string(c.description) }; w.endArray()
            w.key("count"); w.int(h.count)
            w.key("max_gi_star"); w.double(h.maxGiStar, decimals: 4)
            w.key("centroid"); w.beginArray(); w.double(h.centroid.longitude, decimals: 6); w.double(h.centroid.latitude, decimals: 6); w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }
}

/// A buffered output file (or standard output).
final class OutputFile {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private let isStdout: Bool

    init(path: String?) throws {
        if let path, path != "-" {
            guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
                throw ReplayError("cannot write '\(path)'")
            }
            handle = h
            isStdout = false
        } else {
            handle = FileHandle.standardOutput
            isStdout = true
        }
        buffer.reserveCapacity(1 << 16)
    }

    func writeLine(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    func close() {
        flush()
        if !isStdout { try? handle.close() }
    }
}
