/// The wire forms of a `PublicRelease`: one JSON object per release (the public topic, the admin
/// endpoint, `vigil public --format json`), and CSV rows for open-data portals.
public enum PublicReleaseFormat {
    public static func json(_ r: PublicRelease) -> [UInt8] {
        var w = JSONWriter(capacity: 64 * r.figures.count + 512)
        w.beginObject()
        w.key("stream")
        w.string(r.stream)
        w.key("family")
        w.string(r.family.rawValue)
        w.key("period")
        w.string(r.period.rawValue)
        w.key("period_start")
        w.string(r.periodStart)
        w.key("epoch")
        w.int(r.epoch)
        w.key("step")
        w.int(r.step)
        w.key("epsilon")
        w.string(r.epsilon)
        w.key("noise")
        w.string("discrete_laplace")
        w.key("noise_scale")
        w.double(r.noiseScale, decimals: 6)
        w.key("count_ci95")
        w.int(Int(r.countInterval95))
        w.key("running_total_ci95")
        w.int(Int(r.runningTotalInterval95))
        w.key("non_negative")
        w.bool(r.nonNegative)
        w.key("figures")
        w.beginArray()
        for f in r.figures {
            w.beginObject()
            w.key("area")
            w.string(f.area)
            w.key("category")
            w.string(f.category)
            w.key("count")
            w.int(Int(f.count))
            w.key("running_total")
            w.int(Int(f.runningTotal))
            w.endObject()
        }
        w.endArray()
        if let totals = r.areaTotals {
            w.key("area_totals")
            w.beginArray()
            for t in totals {
                w.beginObject()
                w.key("area")
                w.string(t.area)
                w.key("count")
                w.int(Int(t.count))
                w.key("running_total")
                w.int(Int(t.runningTotal))
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
        return w.bytes
    }

    public static let csvHeader =
        "stream,period_start,epoch,step,area,category,count,count_ci95,running_total,running_total_ci95,epsilon,noise_scale"

    /// One CSV line per figure (RFC 4180 quoting), no header.
    public static func csvRows(_ r: PublicRelease) -> [String] {
        let scale = String(r.noiseScale)
        return r.figures.map { f in
            [
                r.stream, r.periodStart, String(r.epoch), String(r.step), quote(f.area), quote(f.category), String(f.count),
                String(r.countInterval95), String(f.runningTotal), String(r.runningTotalInterval95), r.epsilon, scale
            ].joined(separator: ",")
        }
    }

    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        var quoted = "\""
        for ch in field {
            quoted.append(ch)
            if ch == "\"" { quoted.append(ch) }
        }
        return quoted + "\""
    }
}
