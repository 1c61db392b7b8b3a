import ArgumentParser
import Foundation
import VigilCore

/// Engine throughput on real incidents, without Kafka: decode alone, then the engine with more
/// and more of its parts switched on. Each stage runs `--runs` times after a warm-up; the median,
/// min and max are reported, with per-event cost percentiles from batch timings.
struct VigilBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vigil-bench", abstract: "Benchmark Vigil's decoder and engine on NDJSON incidents.")

    @Option(help: "Canonical incident NDJSON (tools/replay_incidents.py --to-file FILE).")
    var input: String

    @Option(help: "Replicate the input this many times (each copy shifted in time and re-identified).")
    var copies: Int = 21

    @Option(help: "overlay: copies shifted by minutes (a denser city); sequential: copies one after another in time.")
    var mode: String = "overlay"

    @Option(help: "Measured runs per stage (after one warm-up run).")
    var runs: Int = 5

    @Option(help: "Stages to run (comma-separated): decode,windows,count,surge,hotspots,engine,rules,features,score,score-logistic,models.")
    var stages: String = "decode,windows,count,surge,hotspots,engine"

    @Option(help: "XGBoost model for the score stage (features: its layout).")
    var model: String = "Config/models/near-repeat-xgboost.json"

    @Option(help: "Logistic model for the score-logistic stage.")
    var logisticModel: String = "Config/models/near-repeat-logistic.json"

    @Option(help: "Alert threshold for the score stages.")
    var threshold: Double = 0.745

    func run() throws {
        let raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: input)))
        let lines = Self.split(raw)
        let decoder = IncidentDecoder(bounds: GeoBounds(south: 43.58, west: -79.64, north: 43.86, east: -79.11))
        var base: [Incident] = []
        for line in lines { if case .success(let i) = line.withUnsafeBytes({ decoder.decode($0) }) { base.append(i) } }
        base.sort { ($0.eventTime, $0.id) < ($1.eventTime, $1.id) }
        let span = (base.last!.eventTime.milliseconds - base.first!.eventTime.milliseconds) + 86_400_000
        var incidents: [Incident] = []
        incidents.reserveCapacity(base.count * copies)
        for k in 0..<copies {
            let shift = mode == "sequential" ? Int64(k) * span : Int64(k) * 7 * 60_000
            for var i in base {
                i.eventTime = Timestamp(milliseconds: i.eventTime.milliseconds + shift)
                if k > 0 { i.id += "-c\(k)" }
                incidents.append(i)
            }
        }
        incidents.sort { ($0.eventTime, $0.id) < ($1.eventTime, $1.id) }
        // The wire form of every event, for the decode stage.
        var wire: [[UInt8]] = []
        wire.reserveCapacity(incidents.count)
        for i in incidents { wire.append(Self.encode(i)) }
        print("events: \(incidents.count) (\(copies) × \(base.count), mode \(mode)), machine: \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let grid = MetricGrid(cellSize: 250, bounds: decoder.bounds)

        for stage in stages.split(separator: ",").map(String.init) {
            var configuration = EngineConfiguration(grid: grid, allowedLateness: .hours(1), countRule: nil, surgeRule: nil, hotspots: nil)
            var layout: NearRepeatFeatures?
            switch stage {
            case "models":
                // Model evaluation alone on precomputed feature rows (no engine), XGBoost and logistic.
                configuration.countRule = CountRuleConfiguration()
                configuration.surgeRule = SurgeRuleConfiguration()
                configuration.hotspots = HotspotConfiguration()
                var scorers: [RiskScorer] = []
                for path in [model, logisticModel] {
                    scorers.append(try RiskScorer.load([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), configuration: configuration,
                                                       threshold: threshold, topFeatures: 5))
                }
                var engine = IncidentEngine(configuration: configuration)
                var rows: [[Double]] = []
                var row: [Double] = []
                for i in incidents.prefix(500_000) { if case .accepted = engine.process(i, recording: scorers[0].layout, into: &row) { rows.append(row) } }
                for scorer in scorers {
                    let m = scorer.model
                    measure("model \(m.kind) (probability only, \(rows.count) precomputed rows)", events: rows.count) {
                        var sum = 0.0
                        for r in rows { sum += m.probability(r) }
                        blackHole(sum)
                    }
                    let hot = rows[rows.count / 2]
                    measure("model \(m.kind) (probability only, one row repeated: warm caches)", events: rows.count) {
                        var sum = 0.0
                        for _ in rows { sum += m.probability(hot) }
                        blackHole(sum)
                    }
                    measure("model \(m.kind) contributions (alert explanation)", events: rows.count) {
                        var c: [Double] = []
                        var sum = 0.0
                        for r in rows { m.contributions(r, into: &c); sum += c[0] }
                        blackHole(sum)
                    }
                }
                continue
            case "features", "score", "score-logistic":
                // All rules and hotspots, plus the feature vector (features) or features + model + alerts (score).
                configuration.countRule = CountRuleConfiguration()
                configuration.surgeRule = SurgeRuleConfiguration()
                configuration.hotspots = HotspotConfiguration()
                let path = stage == "score-logistic" ? logisticModel : model
                let scorer = try RiskScorer.load([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), configuration: configuration,
                                                 threshold: threshold, topFeatures: 5)
                if stage == "features" { layout = scorer.layout } else { configuration.risk = scorer }
                let config = configuration
                measure("\(stage) (all rules + hotspots + \(stage == "features" ? "feature vector" : "features, \(scorer.model.kind) score, alerts"))", events: incidents.count) {
                    var engine = IncidentEngine(configuration: config)
                    var alerts = 0
                    var row: [Double] = []
                    for i in incidents { if case .accepted(let a) = engine.process(i, recording: layout, into: &row) { alerts += a.count } }
                    alerts += engine.finish().count
                    blackHole(alerts)
                }
                continue
            case "decode":
                measure(stage, events: wire.count) {
                    var ok = 0
                    for bytes in wire { if case .success = bytes.withUnsafeBytes({ decoder.decode($0) }) { ok += 1 } }
                    precondition(ok == wire.count)
                }
                continue
            case "windows": break
            case "count": configuration.countRule = CountRuleConfiguration()
            case "surge": configuration.surgeRule = SurgeRuleConfiguration()
            case "hotspots": configuration.hotspots = HotspotConfiguration()
            case "engine", "rules":
                configuration.countRule = CountRuleConfiguration()
                configuration.surgeRule = SurgeRuleConfiguration()
                configuration.hotspots = HotspotConfiguration()
            default: throw ValidationError("unknown stage \(stage)")
            }
            let withDecode = stage == "engine"
            measure(stage + (withDecode ? " (decode + all rules + hotspots)" : stage == "rules" ? " (all rules + hotspots, no decode)" : ""), events: incidents.count) {
                var engine = IncidentEngine(configuration: configuration)
                var alerts = 0
                if withDecode {
                    for bytes in wire {
                        guard case .success(let i) = bytes.withUnsafeBytes({ decoder.decode($0) }) else { continue }
                        if case .accepted(let a) = engine.process(i) { alerts += a.count }
                    }
                } else {
                    for i in incidents { if case .accepted(let a) = engine.process(i) { alerts += a.count } }
                }
                alerts += engine.finish().count
                blackHole(alerts)
            }
        }
    }

    func measure(_ name: String, events: Int, _ body: () -> Void) {
        body()  // warm-up
        var rates: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            rates.append(Double(events) / seconds)
        }
        rates.sort()
        let median = rates[rates.count / 2]
        print(String(format: "%@ median %10.0f events/s  (min %10.0f, max %10.0f)  %7.1f ns/event", name as NSString, median, rates.first!, rates.last!, 1e9 / median))
    }

    static func split(_ raw: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var start = 0
        for (i, b) in raw.enumerated() where b == 0x0A {
            if i > start { out.append(Array(raw[start..<i])) }
            start = i + 1
        }
        if start < raw.count { out.append(Array(raw[start...])) }
        return out
    }

    static func encode(_ i: Incident) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.key("id"); w.string(i.id)
        w.key("event_time"); w.timestamp(i.eventTime)
        w.key("category"); w.string(i.category)
        if let p = i.premises { w.key("premises"); w.string(p) }
        if let n = i.neighbourhood { w.key("neighbourhood"); w.string(n) }
        w.key("lat"); w.double(i.latitude)
        w.key("lon"); w.double(i.longitude)
        w.key("source"); w.string("toronto-mci")
        w.endObject()
        return w.bytes
    }
}

@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

VigilBench.main()
