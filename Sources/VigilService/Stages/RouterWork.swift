import VigilCore
import VigilKafka

/// The router stage (docs/SCALE-OUT.md): reads the city's one input partition in order and sends
/// each valid, timely incident to the scan partition that owns its tile, halo copies to the owners
/// of the tiles within the scan's radius, and the ticks and city counts every partition needs
/// (`TileRouter`). An incident's bytes travel unchanged with the envelope in a header, so a scan
/// decodes exactly what the router decoded.
///
/// What it skips is the main pipeline's to report (it reads the same input in its own group and
/// dead-letters the undecodable, the late and the far-future): the router decides the same way
/// from the same bytes, except that "too far ahead" is judged against the message's own Kafka
/// timestamp instead of the server's clock, so that a rebuild decides exactly as the first reading
/// did, and an incident ahead of its message by less than `input.max_future` is routed at once
/// (the main pipeline holds it until the clock reaches it).
struct RouterWork: StageWork {
    private let engine: EngineConfiguration
    private let decoder: IncidentDecoder
    private let settings: ScaleOutSettings
    private let maxFutureMs: Int64
    private(set) var router: TileRouter
    /// Records skipped: undecodable, too far ahead of their timestamp, or late (the main pipeline reports them).
    private(set) var skipped = 0
    /// The router reads the input, which it never dead-letters (the main pipeline does).
    var malformed: Int { 0 }

    init(engine: EngineConfiguration, decoder: IncidentDecoder, settings: ScaleOutSettings, maxFutureMs: Int64) {
        self.engine = engine
        self.decoder = decoder
        self.settings = settings
        self.maxFutureMs = maxFutureMs
        router = Self.makeRouter(engine, settings)
    }

    private static func makeRouter(_ engine: EngineConfiguration, _ settings: ScaleOutSettings) -> TileRouter {
        guard let scan = engine.clusters else { preconditionFailure("the cluster scan is off") }
        return TileRouter(
            grid: engine.grid, partitions: settings.partitions, tileCells: Int32(settings.tileCells),
            haloCells: Int32(scan.maxRadiusCells(cellSize: engine.grid.cellSize)),
            allowedLateness: engine.allowedLateness, repeatWindowHours: scan.repeatWindowHours)
    }

    mutating func begin(_ partition: Int32) { router = Self.makeRouter(engine, settings) }

    mutating func end(_ partition: Int32) { router = Self.makeRouter(engine, settings) }

    mutating func apply(_ record: KafkaMessage, live: Bool, now: Timestamp) -> StageOutput {
        guard case .success(let incident) = decoder.decode(record.value) else {
            skipped += 1
            return StageOutput()
        }
        // Saturating: a record stamped near the end of time has no incident ahead of it (an
        // overflow trap here would stop the router on every rebuild).
        if let stamp = record.timestamp, stamp > 0 {
            let (limit, overflow) = stamp.addingReportingOverflow(maxFutureMs)
            if !overflow, incident.eventTime.milliseconds > limit {
                skipped += 1
                return StageOutput()
            }
        }
        // The input offset is the incident's sequence: strictly increasing, and the same after a
        // rebuild that starts at a later log start (retention), so the scans' repeat check holds.
        guard record.offset >= router.nextSequence, case .routed(let messages) = router.route(incident, sequence: record.offset) else {
            skipped += 1
            return StageOutput()
        }
        var out = StageOutput()
        out.messages.reserveCapacity(messages.count)
        for (p, message) in messages {
            var value: [UInt8]?
            if case .incident = message { value = record.value }
            out.messages.append(routed(message, to: p, key: record.key, value: value))
        }
        return out
    }

    mutating func batchEnded() -> [OutgoingMessage] {
        (router.mark() ?? []).map { routed($0.message, to: $0.partition, key: nil, value: nil) }
    }

    private func routed(_ message: RoutedMessage, to partition: Int, key: [UInt8]?, value: [UInt8]?) -> OutgoingMessage {
        OutgoingMessage(
            topic: settings.routedTopic, partition: Int32(partition), key: key, value: value,
            headers: [KafkaHeader(StageHeaders.route, RoutedMessageCodec.encode(message))])
    }
}
