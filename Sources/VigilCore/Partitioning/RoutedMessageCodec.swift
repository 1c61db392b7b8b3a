/// `RoutedMessage` as bytes on the routed topic (router → scan stage). An incident's message is
/// only its envelope (sequence, halo): the incident's own bytes travel beside it unchanged, so the
/// scan stage decodes exactly what the router decoded.
public enum RoutedMessageCodec {
    public static let version: UInt8 = 1

    public static func encode(_ message: RoutedMessage) -> [UInt8] {
        var w = BinaryWriter()
        w.u8(version)
        switch message {
        case .cityOccurrences(let s, let index, let o):
            w.u8(0)
            w.i64(s)
            w.int(index)
            w.optionalString(o.layerName)
            w.i64(o.week)
            w.u32(UInt32(o.counts.count))
            for n in o.counts { w.u32(n) }
        case .tick(let s, let hour):
            w.u8(1)
            w.i64(s)
            w.i64(hour)
        case .incident(let s, let halo):
            w.u8(2)
            w.i64(s)
            w.bool(halo)
        case .mark(let s):
            w.u8(3)
            w.i64(s)
        }
        return w.bytes
    }

    /// The message `bytes` encode; throws with the reason when they are not one.
    public static func decode(_ bytes: [UInt8]) throws(MalformedStageMessage) -> RoutedMessage {
        var r = BinaryReader(bytes)
        let v = try r.u8("version")
        guard v == version else { throw MalformedStageMessage(reason: "routed format \(v), this build reads \(version)") }
        let message: RoutedMessage
        switch try r.u8("kind") {
        case 0:
            let s = try r.i64("sequence")
            let index = try r.int("index")
            guard index >= 0, index < RouteKey.tickStep else { throw MalformedStageMessage(reason: "city count index \(index)") }
            let layer = try r.optionalString("layer")
            let week = try r.i64("week")
            let n = try r.count("counts", minimumBytes: 4)
            guard n == Int(ClusterTime.hoursPerWeek) else { throw MalformedStageMessage(reason: "\(n) hourly counts in a week") }
            var counts: [UInt32] = []
            for _ in 0..<n { counts.append(try r.u32("count")) }
            message = .cityOccurrences(sequence: s, index: index, CityOccurrences(layerName: layer, week: week, counts: counts))
        case 1: message = .tick(sequence: try r.i64("sequence"), hour: try r.i64("hour"))
        case 2: message = .incident(sequence: try r.i64("sequence"), halo: try r.bool("halo"))
        case 3: message = .mark(sequence: try r.i64("sequence"))
        case let k: throw MalformedStageMessage(reason: "routed kind \(k)")
        }
        guard r.atEnd else { throw MalformedStageMessage(reason: "\(bytes.count - r.position) bytes after the message") }
        return message
    }
}
