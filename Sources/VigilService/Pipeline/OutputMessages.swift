import VigilCore
import VigilKafka

/// Builds the messages Vigil writes: alerts (with CloudEvents binary-mode headers) and dead
/// letters (the original message unchanged, with the reason and its origin in headers).
enum OutputMessages {
    /// `input` is the incident message whose processing produced the alert: its position goes in
    /// `vigil.source.*` headers, so a duplicate after a crash can be traced to uncommitted input.
    static func alert(
        _ alert: Alert, json: [UInt8], topic: String, source: String, detectedAt: Timestamp,
        input: (tp: TopicPartition, offset: Int64)
    ) -> OutgoingMessage {
        OutgoingMessage(
            topic: topic, key: Array(alert.partitionKey.utf8), value: json,
            headers: cloudEventHeaders(alert, contentType: "application/json", source: source, detectedAt: detectedAt) + [
                KafkaHeader("vigil.source.topic", input.tp.topic),
                KafkaHeader("vigil.source.partition", String(input.tp.partition)),
                KafkaHeader("vigil.source.offset", String(input.offset))
            ])
    }

    /// The same alert as OASIS CAP 1.2 XML (`cap`: `[cap]`'s sender, status and scope), with the
    /// same CloudEvents identity.
    static func capAlert(
        _ alert: Alert, cap: OperationsSettings.CAP, grid: MetricGrid, topic: String, source: String, detectedAt: Timestamp
    ) -> OutgoingMessage {
        let xml = CAPAlert.render(alert, sent: detectedAt, sender: cap.sender, status: cap.status, scope: cap.scope, grid: grid)
        return OutgoingMessage(
            topic: topic, key: Array(alert.partitionKey.utf8), value: xml,
            headers: cloudEventHeaders(alert, contentType: CAPAlert.contentType, source: source, detectedAt: detectedAt))
    }

    /// CloudEvents 1.0 binary-mode headers: one identity (id, type, source, time, subject) for an
    /// alert in every rendering, so consumers of JSON and CAP can match the two.
    private static func cloudEventHeaders(_ alert: Alert, contentType: String, source: String, detectedAt: Timestamp) -> [KafkaHeader] {
        [
            KafkaHeader("content-type", contentType),
            KafkaHeader("ce_specversion", "1.0"),
            KafkaHeader("ce_id", alert.id),
            KafkaHeader("ce_type", "org.vigil.alert.\(alert.kind.rawValue)"),
            KafkaHeader("ce_source", source),
            KafkaHeader("ce_time", detectedAt.description),
            KafkaHeader("ce_subject", alert.partitionKey)
        ]
    }

    /// The input message, byte for byte up to `maxBytes`, plus `vigil.*` headers saying why and
    /// where from. A longer payload is cut to `maxBytes` (a dead letter must fit the topic, or
    /// the poison message would stop its partition): `vigil.payload.truncated`,
    /// `vigil.payload.length` and `vigil.payload.sha256` describe the original, which stays
    /// retrievable at `vigil.source.offset` for as long as the input topic retains it. Input
    /// headers larger than 16 KiB in total are dropped for the same reason.
    static func deadLetter(
        _ record: KafkaMessage, reason: String, field: String?, message: String,
        topic: String, maxBytes: Int = 262_144, extra: [KafkaHeader] = []
    ) -> OutgoingMessage {
        var headers = record.headers
        let headerBytes = headers.reduce(0) { $0 + $1.name.utf8.count + ($1.value?.count ?? 0) }
        if headerBytes > 16_384 { headers = [KafkaHeader("vigil.source.headers_dropped", String(headerBytes))] }
        headers.append(KafkaHeader("vigil.error.reason", reason))
        if let field { headers.append(KafkaHeader("vigil.error.field", field)) }
        headers.append(KafkaHeader("vigil.error.message", String(decoding: message.utf8.prefix(1024), as: UTF8.self)))
        headers.append(KafkaHeader("vigil.source.topic", record.topic))
        headers.append(KafkaHeader("vigil.source.partition", String(record.partition)))
        headers.append(KafkaHeader("vigil.source.offset", String(record.offset)))
        if let ts = record.timestamp { headers.append(KafkaHeader("vigil.source.timestamp", String(ts))) }
        var value = record.value
        if let original = record.value, original.count > maxBytes {
            headers.append(KafkaHeader("vigil.payload.truncated", "true"))
            headers.append(KafkaHeader("vigil.payload.length", String(original.count)))
            headers.append(KafkaHeader("vigil.payload.sha256", SHA256.hex(original)))
            value = Array(original.prefix(maxBytes))
        }
        headers.append(contentsOf: extra)
        return OutgoingMessage(
            topic: topic, key: record.key.map { Array($0.prefix(maxBytes)) }, value: value,
            headers: headers, timestamp: record.timestamp)
    }

    /// An accepted incident with the near-repeat score it was given on arrival (topics.scored):
    /// subscribers read the risk of every incident without Vigil raising an alert for each.
    static func scoredIncident(
        _ incident: Incident, score: Double, model: RiskScorer, grid: MetricGrid, topic: String,
        key: [UInt8]?
    ) -> OutgoingMessage {
        var w = JSONWriter()
        w.beginObject()
        w.key("id")
        w.string(incident.id)
        w.key("event_time")
        w.timestamp(incident.eventTime)
        w.key("category")
        w.string(incident.category)
        if let n = incident.neighbourhood {
            w.key("neighbourhood")
            w.string(n)
        }
        w.key("lat")
        w.double(incident.latitude)
        w.key("lon")
        w.double(incident.longitude)
        w.key("cell")
        w.string(grid.cell(latitude: incident.latitude, longitude: incident.longitude).description)
        w.key("risk")
        w.beginObject()
        w.key("score")
        w.double(score, decimals: 6)
        w.key("threshold")
        w.double(model.threshold)
        w.key("radius_m")
        w.double(model.radiusMetres)
        w.key("model")
        w.string("\(model.model.kind) \(model.version)")
        w.key("model_hash")
        w.string(model.hash)
        w.endObject()
        w.endObject()
        return OutgoingMessage(
            topic: topic, key: key, value: w.bytes,
            headers: [KafkaHeader("content-type", "application/json"), KafkaHeader("vigil.incident.id", incident.id)])
    }
}
