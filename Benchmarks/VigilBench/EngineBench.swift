import ArgumentParser
import CVigilBenchSupport
import Foundation
import VigilCore

/// Engine throughput on real incidents, without Kafka: decode alone, then the engine with more
/// and more of its parts switched on. Each stage runs `--runs` times after a warm-up (median,
/// min, max), then once with allocation counting and once with per-event timing (untimed extras).
struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Benchmark Vigil's decoder and engine on NDJSON incidents (the default subcommand).")

    @Option(help: "Canonical incident NDJSON (tools/replay_incidents.py --to-file FILE).")
    var input: String

    @Option(help: "Replicate the input this many times (each copy shifted in time and re-identified).")
    var copies: Int = 21

    @Option(help: "overlay: copies shifted by minutes (a denser city); sequential: copies one after another in time.")
    var mode: String = "overlay"

    @Option(help: "Measured runs per stage (after one warm-up run).")
    var runs: Int = 5

    @Option(help: "Stages (comma-separated): decode,windows,count,surge,hotspots,features,score,score-logistic,models,engine,rebuild.")
    var stages: String = "decode,windows,count,surge,hotspots,score,engine,rebuild"

    @Option(help: "XGBoost model for the score, engine and rebuild stages (and the feature layout of features).")
    var model: String = "Config/models/near-repeat-xgboost.json"

    @Option(help: "Logistic model for the score-logistic and models stages.")
    var logisticModel: String = "Config/models/near-repeat-logistic.json"

    @Option(help: "Alert threshold for the scoring stages.")
    var threshold: Double = 0.745

    @Option(help: "Days of the newest data the rebuild stage replays (state rebuild after a restart).")
    var rebuildDays: Int = 28

    @Flag(help: "Skip the allocation-counting and per-event-timing runs.")
    var noExtras = false

    @Option(help: "Also write one JSON object per stage (NDJSON) to this file.")
    var json: String?

    func run() throws {
        let workload = try Workload(path: input, copies: copies, mode: mode)
        let incidents = workload.incidents
        let wire = workload.wire
        let decoder = workload.decoder
        print(
            "events: \(incidents.count) (\(copies) × \(workload.base), mode \(mode)), cores: \(ProcessInfo.processInfo.activeProcessorCount), clock overhead \(Clock.overhead()) ns"
        )
        let grid = MetricGrid(cellSize: 250, bounds: Workload.bounds)
        var results: [Measurement] = []

        for stage in stages.split(separator: ",").map(String.init) {
            var configuration = EngineConfiguration(grid: grid, allowedLateness: .hours(1), countRule: nil, surgeRule: nil, hotspots: nil)
            var layout: NearRepeatFeatures?
            switch stage {
            case "decode":
                var m = Measurement(name: stage, events: wire.count)
                let body = {
                    var ok = 0
                    for bytes in wire { if case .success = bytes.withUnsafeBytes({ decoder.decode($0) }) { ok += 1 } }
                    precondition(ok == wire.count)
                }
                (m.rates, m.cpuRates) = timeRuns(runs, events: wire.count, body)
                if !noExtras {
                    m = withExtras(m) { perEvent in
                        for bytes in wire { perEvent { blackHole(bytes.withUnsafeBytes({ decoder.decode($0) })) } }
                    } body: {
                        body()
                    }
                }
                report(m, &results)
                continue
            case "models":
                report(try modelsOnly(configuration, incidents: incidents), &results)
                continue
            case "windows": break
            case "count": configuration.countRule = CountRuleConfiguration()
            case "surge": configuration.surgeRule = SurgeRuleConfiguration()
            case "hotspots": configuration.hotspots = HotspotConfiguration()
            case "features", "score", "score-logistic", "engine", "rebuild":
                // All rules and hotspots; features adds the feature vector, the others the model too
                // (the whole engine includes scoring).
                configuration.countRule = CountRuleConfiguration()
                configuration.surgeRule = SurgeRuleConfiguration()
                configuration.hotspots = HotspotConfiguration()
                let scorer = try loadScorer(stage == "score-logistic" ? logisticModel : model, configuration)
                if stage == "features" { layout = scorer.layout } else { configuration.risk = scorer }
            default: throw ValidationError("unknown stage \(stage)")
            }
            let withDecode = stage == "engine" || stage == "rebuild"
            let range = stage == "rebuild" ? workload.lastDays(rebuildDays) : 0..<incidents.count
            let config = configuration
            let recording = layout
            let body = {
                var engine = IncidentEngine(configuration: config)
                var alerts = 0
                var row: [Double] = []
                for index in range {
                    if withDecode {
                        guard case .success(let i) = wire[index].withUnsafeBytes({ decoder.decode($0) }) else { continue }
                        if case .accepted(let a) = engine.process(i) { alerts += a.count }
                    } else if let recording {
                        if case .accepted(let a) = engine.process(incidents[index], recording: recording, into: &row) { alerts += a.count }
                    } else {
                        if case .accepted(let a) = engine.process(incidents[index]) { alerts += a.count }
                    }
                }
                alerts += engine.finish().count
                blackHole(alerts)
            }
            var m = Measurement(name: stage, events: range.count)
            (m.rates, m.cpuRates) = timeRuns(runs, events: range.count, body)
            if !noExtras {
                m = withExtras(m) { perEvent in
                    var engine = IncidentEngine(configuration: config)
                    for index in range {
                        perEvent {
                            if withDecode {
                                if case .success(let i) = wire[index].withUnsafeBytes({ decoder.decode($0) }) {
                                    blackHole(engine.process(i))
                                }
                            } else {
                                blackHole(engine.process(incidents[index]))
                            }
                        }
                    }
                    blackHole(engine.finish())
                } body: {
                    body()
                }
            }
            if stage == "rebuild" {
                // State held after rebuilding: heap in use with the engine alive, against before.
                let heapBefore = CVigilBench_heapInUse()
                var engine = IncidentEngine(configuration: config)
                for index in range {
                    if case .success(let i) = wire[index].withUnsafeBytes({ decoder.decode($0) }) { _ = engine.process(i) }
                }
                let heapAfter = CVigilBench_heapInUse()
                m.extra.append(("days", "\(rebuildDays)"))
                m.extra.append(("seconds_median", String(format: "%.3f", Double(range.count) / m.median)))
                m.extra.append(("state_heap_mb", String(format: "%.1f", Double(heapAfter &- heapBefore) / 1_048_576)))
                m.extra.append(("keys", "\(engine.statistics.keys)"))
                m.extra.append(("process_rss_mb", String(format: "%.1f", Double(residentBytes()) / 1_048_576)))
                blackHole(engine)
            }
            report(m, &results)
        }
        if let json {
            try Data(results.map { $0.json() + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: json))
        }
    }

    private func loadScorer(_ path: String, _ configuration: EngineConfiguration) throws -> RiskScorer {
        try RiskScorer.load(
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), configuration: configuration,
            threshold: threshold, topFeatures: 5)
    }

    /// Model evaluation alone (probability, then alert explanations) on feature rows precomputed
    /// by the engine from the first 500k events: the models' own cost, without features.
    private func modelsOnly(_ base: EngineConfiguration, incidents: [Incident]) throws -> Measurement {
        var configuration = base
        configuration.countRule = CountRuleConfiguration()
        configuration.surgeRule = SurgeRuleConfiguration()
        configuration.hotspots = HotspotConfiguration()
        let scorers = try [model, logisticModel].map { try loadScorer($0, configuration) }
        var engine = IncidentEngine(configuration: configuration)
        var rows: [[Double]] = []
        var row: [Double] = []
        for i in incidents.prefix(500_000) {
            if case .accepted = engine.process(i, recording: scorers[0].layout, into: &row) { rows.append(row) }
        }
        var last = Measurement(name: "models", events: rows.count)
        for scorer in scorers {
            let m = scorer.model
            var probability = Measurement(name: "model-\(m.kind)", events: rows.count)
            (probability.rates, probability.cpuRates) = timeRuns(runs, events: rows.count) {
                var sum = 0.0
                for r in rows { sum += m.probability(r) }
                blackHole(sum)
            }
            print(probability.line())
            var explain = Measurement(name: "explain-\(m.kind)", events: rows.count)
            (explain.rates, explain.cpuRates) = timeRuns(runs, events: rows.count) {
                var c: [Double] = []
                var sum = 0.0
                for r in rows {
                    m.contributions(r, into: &c)
                    sum += c[0]
                }
                blackHole(sum)
            }
            last = explain
            if scorer.model.kind != scorers.last!.model.kind { print(explain.line()) }
        }
        return last
    }

    private func report(_ m: Measurement, _ results: inout [Measurement]) {
        print(m.line())
        fflush(nil)
        results.append(m)
    }

    /// Adds allocation counts (one run of `body`) and per-event cost percentiles (one run of
    /// `timed`, which wraps each event in the given per-event closure).
    private func withExtras(_ m: Measurement, timed: ((() -> Void) -> Void) -> Void, body: () -> Void) -> Measurement {
        var m = m
        if let (calls, bytes) = countAllocations(events: m.events, body) {
            m.allocationsPerEvent = calls
            m.bytesPerEvent = bytes
        }
        let overhead = Clock.overhead()
        var samples: [UInt32] = []
        samples.reserveCapacity(m.events)
        timed { event in
            let start = Clock.now()
            event()
            let ns = Clock.now() - start
            samples.append(UInt32(clamping: ns > overhead ? ns - overhead : 0))
        }
        m.percentiles = percentiles(&samples)
        return m
    }
}

@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }
