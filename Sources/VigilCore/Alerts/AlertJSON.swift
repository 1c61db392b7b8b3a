/// The alert wire format (`Config/schemas/alert.schema.json`), used for the topic and the log.
public enum AlertJSON {
    /// Encodes `alert`. `detectedAt` is wall-clock time added at the edge; pass nil for the
    /// deterministic form used in replays and tests.
    public static func encode(_ alert: Alert, detectedAt: Timestamp?, source: String = "vigil") -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("id")
        w.string(alert.id)
        w.key("kind")
        w.string(alert.kind.rawValue)
        w.key("rule")
        w.string(alert.rule)
        w.key("severity")
        w.string(alert.severity.rawValue)
        w.key("summary")
        w.string(alert.summary)
        w.key("event_time")
        w.timestamp(alert.eventTime)
        if let detectedAt {
            w.key("detected_at")
            w.timestamp(detectedAt)
        }
        w.key("key")
        w.beginObject()
        if let category = alert.category {
            w.key("category")
            w.string(category)
        }
        if alert.kind == .surge, let neighbourhood = alert.neighbourhood {
            w.key("neighbourhood")
            w.string(neighbourhood)
        } else if let hotspot = alert.hotspot {
            w.key("hotspot")
            w.string(hotspot.id)
        } else if let cluster = alert.cluster {
            w.key("cluster")
            w.string(cluster.id)
        } else {
            w.key("cell")
            w.string(alert.cell.description)
        }
        w.endObject()
        w.key("location")
        w.beginObject()
        w.key("lat")
        w.double(alert.latitude, decimals: 6)
        w.key("lon")
        w.double(alert.longitude, decimals: 6)
        w.key("cell")
        w.string(alert.cell.description)
        w.key("cell_size_m")
        w.double(alert.cellSize)
        if let cluster = alert.cluster {
            w.key("radius_m")
            w.double(cluster.radiusMetres)
            w.key("cells")
            w.beginArray()
            for c in cluster.cells { w.string(c.description) }
            w.endArray()
        }
        if let hotspot = alert.hotspot, hotspot.polygon.count >= 4 {
            // GeoJSON Polygon geometry: [lon, lat] order (RFC 7946).
            w.key("polygon")
            w.geoJSONPolygon(hotspot.polygon)
        }
        w.endObject()
        if let neighbourhood = alert.neighbourhood {
            w.key("neighbourhood")
            w.string(neighbourhood)
        }
        w.key("window")
        w.beginObject()
        w.key("start")
        w.timestamp(alert.windowStart)
        w.key("end")
        w.timestamp(alert.windowEnd)
        w.key("duration_s")
        w.int(Int((alert.windowEnd.milliseconds - alert.windowStart.milliseconds) / 1000))
        w.endObject()
        w.key("evidence")
        w.beginObject()
        w.key("count")
        w.int(alert.count)
        if let threshold = alert.threshold {
            w.key("threshold")
            w.int(threshold)
        }
        if let surge = alert.surge {
            w.key("expected")
            w.double(surge.expected, decimals: 4)
            w.key("p_value")
            w.double(surge.pValue)
            w.key("trailing_weeks")
            w.int(surge.trailingWeeks)
        }
        if let h = alert.hotspot {
            w.key("cells")
            w.int(h.cells.count)
            if let previous = h.previousCells {
                w.key("previous_cells")
                w.int(previous)
            }
            w.key("max_gi_star")
            w.double(h.maxGiStar, decimals: 4)
            w.key("intensity_per_km2")
            w.double(h.intensity, decimals: 3)
            w.key("categories")
            w.categoryCounts(h.categories)
            w.key("cell_ids")
            w.beginArray()
            for c in h.cells { w.string(c.description) }
            w.endArray()
            if !h.mergedWith.isEmpty {
                w.key("merged_with")
                w.beginArray()
                for m in h.mergedWith { w.string(m) }
                w.endArray()
            }
            if let split = h.splitFrom {
                w.key("split_from")
                w.string(split)
            }
        }
        if let c = alert.cluster {
            w.key("cluster")
            w.string(c.id)
            w.key("layer")
            if let layer = c.layer { w.string(layer) } else { w.string("all") }
            w.key("observed")
            w.int(c.observed)
            w.key("expected")
            w.double(c.expected, decimals: 6)
            w.key("llr")
            w.double(c.llr, decimals: 6)
            w.key("surprise")
            w.double(c.surprise, decimals: 6)
            w.key("recurrence_interval_days")
            w.double(c.recurrenceDays.isFinite ? min(c.recurrenceDays, 1e9) : 1e9, decimals: 3)
            w.key("duration_h")
            w.int(c.durationHours)
            w.key("radius_m")
            w.double(c.radiusMetres)
            if let previous = c.previousObserved {
                w.key(alert.kind == .clusterEnded ? "peak_observed" : "previous_observed")
                w.int(previous)
            }
            w.key("categories")
            w.categoryCounts(c.categories)
        }
        if let risk = alert.risk {
            w.key("score")
            w.double(risk.score, decimals: 6)
            w.key("threshold")
            w.double(risk.threshold)
            w.key("radius_m")
            w.double(risk.radiusMetres)
            w.key("top_features")
            w.beginArray()
            for f in risk.topFeatures {
                w.beginObject()
                w.key("name")
                w.string(f.name)
                if f.value.isFinite {
                    w.key("value")
                    w.double(f.value, decimals: 4)
                } else {
                    w.key("value")
                    w.null()
                }
                w.key("contribution")
                w.double(f.contribution, decimals: 6)
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
        if let risk = alert.risk {
            w.key("score")
            w.double(risk.score, decimals: 6)
            w.key("model")
            w.beginObject()
            w.key("kind")
            w.string(risk.modelKind)
            w.key("version")
            w.string(risk.modelVersion)
            w.key("hash")
            w.string(risk.modelHash)
            w.endObject()
        }
        w.key("incident_ids")
        w.beginArray()
        for id in alert.incidentIDs { w.string(id) }
        w.endArray()
        w.key("source")
        w.string(source)
        w.endObject()
        return w.bytes
    }
}
