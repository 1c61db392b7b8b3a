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
    /// Per routed partition, the live messages of the poll batch so far.
    private var pending: [[RoutedFrameCodec.Entry]]
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
        pending = Array(repeating: [], count: settings.partitions)
    }

    private static func makeRouter(_ engine: EngineConfiguration, _ settings: ScaleOutSettings) -> TileRouter {
        guard let scan = engine.clusters else { preconditionFailure("the cluster scan is off") }
        return TileRouter(
            grid: engine.grid, partitions: settings.partitions, tileCells: Int32(settings.tileCells),
            haloCells: Int32(scan.maxRadiusCells(cellSize: engine.grid.cellSize)),
            allowedLateness: engine.allowedLateness, repeatWindowHours: scan.repeatWindowHours)
    }

    mutating func begin(_ partition: Int32) { reset() }

    mutating func end(_ partition: Int32) { reset() }

    private mutating func reset() {
        router = Self.makeRouter(engine, settings)
        pending = Array(repeating: [], count: settings.partitions)
    }

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
        // Live messages wait for the batch's end, one frame per partition (`RoutedFrameCodec`);
        // while rebuilding, only the state matters.
        guard live else { return StageOutput() }
        for (p, message) in messages {
            var incident: [UInt8]?
            if case .incident = message { incident = record.value ?? [] }
            pending[p].append(RoutedFrameCodec.Entry(message, incident: incident))
        }
        return StageOutput()
    }

    /// The batch's routed messages, one frame per partition (more when one would exceed
    /// `frameBytes`), each ending with a mark of the batch's last incident. `StageLoop` counts them
    /// against the batch's first record, so no record of the batch is committed before they are
    /// acknowledged.
    mutating func batchEnded() -> [OutgoingMessage] {
        guard let marks = router.mark() else { return [] }
        var out: [OutgoingMessage] = []
        for (p, mark) in marks {
            var frame: [RoutedFrameCodec.Entry] = []
            var size = 0
            for entry in pending[p] + [RoutedFrameCodec.Entry(mark, incident: nil)] {
                let n = RoutedFrameCodec.size(of: entry)
                if !frame.isEmpty, size + n > Self.frameBytes {
                    out.append(routed(frame, to: p))
                    frame.removeAll(keepingCapacity: true)
                    size = 0
                }
                frame.append(entry)
                size += n
            }
            out.append(routed(frame, to: p))
            pending[p].removeAll(keepingCapacity: true)
        }
        return out
    }

    /// A frame's bytes at most (unless one message is larger): well under the producer's
    /// `message.max.bytes` (1,000,000 by default).
    static let frameBytes = 512 * 1024

    private func routed(_ entries: [RoutedFrameCodec.Entry], to partition: Int) -> OutgoingMessage {
        OutgoingMessage(
            topic: settings.routedTopic, partition: Int32(partition), key: nil, value: RoutedFrameCodec.encode(entries),
            headers: [KafkaHeader(StageHeaders.frame, "\(RoutedFrameCodec.version)")])
    }
}
