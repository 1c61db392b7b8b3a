/// Many routed messages in one record of the routed topic: what the router sends one partition
/// for a whole poll batch. Why: a Kafka record costs the router and the scans far more (allocations,
/// librdkafka's per-message work, headers) than the few bytes of an envelope, so one record per
/// routed message made the tile layout cost more than the scan it spreads (docs/PERFORMANCE.md).
///
/// Bytes: a version byte, a count, then per message its `RoutedMessageCodec` envelope and the
/// incident's own bytes when it carries an incident (unchanged, so a scan decodes exactly what the
/// router decoded). Little-endian, every read bounds-checked: foreign or truncated bytes are an
/// error with a reason, never a crash.
public enum RoutedFrameCodec {
    public static let version: UInt8 = 1

    /// One routed message and, for an incident, the incident's bytes.
    public struct Entry: Sendable, Equatable {
        public var message: RoutedMessage
        public var incident: [UInt8]?

        public init(_ message: RoutedMessage, incident: [UInt8]?) {
            self.message = message
            self.incident = incident
        }
    }

    /// The encoded size of `entry`, to cut frames before they outgrow a Kafka message.
    public static func size(of entry: Entry) -> Int { 64 + (entry.incident?.count ?? 0) }

    public static func encode(_ entries: [Entry]) -> [UInt8] {
        var w = BinaryWriter()
        w.u8(version)
        w.u32(UInt32(entries.count))
        for e in entries {
            let envelope = RoutedMessageCodec.encode(e.message)
            w.u32(UInt32(envelope.count))
            w.raw(envelope)
            if let incident = e.incident {
                w.u8(1)
                w.u32(UInt32(incident.count))
                w.raw(incident)
            } else {
                w.u8(0)
            }
        }
        return w.bytes
    }

    /// The messages `bytes` hold, in order; throws with the reason when they are not a frame.
    public static func decode(_ bytes: [UInt8]) throws(MalformedStageMessage) -> [Entry] {
        var r = BinaryReader(bytes)
        let v = try r.u8("frame version")
        guard v == version else { throw MalformedStageMessage(reason: "routed frame format \(v), this build reads \(version)") }
        let n = try r.count("entries", minimumBytes: 5)
        var out: [Entry] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            let envelope = try r.bytes(Int(try r.u32("envelope length")), "envelope")
            let message = try RoutedMessageCodec.decode(Array(envelope))
            var incident: [UInt8]?
            switch try r.u8("incident flag") {
            case 0: break
            case 1: incident = Array(try r.bytes(Int(try r.u32("incident length")), "incident"))
            case let f: throw MalformedStageMessage(reason: "incident flag \(f)")
            }
            if case .incident = message, incident == nil { throw MalformedStageMessage(reason: "an incident message without its incident") }
            out.append(Entry(message, incident: incident))
        }
        guard r.atEnd else { throw MalformedStageMessage(reason: "\(bytes.count - r.position) bytes after the frame") }
        return out
    }
}
