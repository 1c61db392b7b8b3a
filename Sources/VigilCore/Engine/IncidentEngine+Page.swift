/// Reads for the operator's page (`vigil` Admin/PageQuery): the map's cell counts and the
/// trends' per-bucket series, from the same window counters as `/aggregates`.
extension IncidentEngine {
    /// Every tracked cell's count in window `spec` as of the newest event time, cells with none
    /// left out, at most `limit` (largest counts first). Work is bounded by the number of keys;
    /// the processing loop answers it between batches.
    public func cellCounts(spec k: Int, limit: Int) -> [CellWindowCount] {
        guard let now = watermark.maxEventTime, windows.specs.indices.contains(k) else { return [] }
        var out: [CellWindowCount] = []
        for (key, slot) in windows.entries where AggregateKey.family(key) == .cell {
            let c = windows.count(slot: slot, spec: k, at: now)
            if c > 0 { out.append(CellWindowCount(cell: AggregateKey.cell(of: key), count: c)) }
        }
        out.sort { $0.count != $1.count ? $0.count > $1.count : $0.cell < $1.cell }
        return Array(out.prefix(limit))
    }

    /// Per-bucket counts of a neighbourhood (one category, or all when `category` is nil) in window
    /// `spec`, ending at the bucket of the newest event time; nil when the names were never seen.
    /// The buckets sum to what `aggregates(neighbourhood:)` reports for the same window.
    public func series(neighbourhood name: String, category: String?, spec k: Int) -> WindowSeries? {
        guard let now = watermark.maxEventTime, windows.specs.indices.contains(k),
            let n = neighbourhoods.existingID(for: name)
        else { return nil }
        let spec = windows.specs[k]
        let end = spec.bucket(now)
        var ids: [UInt16] = []
        if let category {
            guard let id = categories.existingID(for: category) else { return nil }
            ids = [id]
        } else {
            ids = (0..<categories.count).map { UInt16($0) }
        }
        var counts = [Int](repeating: 0, count: spec.buckets)
        for id in ids {
            guard let slot = windows.slot(of: AggregateKey.categoryNeighbourhood(id, n)) else { continue }
            for (i, c) in windows.bucketCounts(slot: slot, spec: k, endingAt: end).enumerated() { counts[i] += c }
        }
        let start = Timestamp(milliseconds: (end - Int64(spec.buckets) + 1) * spec.resolution.milliseconds)
        return WindowSeries(spec: spec, start: start, counts: counts)
    }

    /// Names seen so far, for the page's choosers (sorted).
    public var neighbourhoodNames: [String] { neighbourhoods.names.sorted() }
    public var categoryNames: [String] { categories.names.sorted() }
}
