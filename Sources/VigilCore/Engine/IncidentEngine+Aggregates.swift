extension IncidentEngine {
    /// Counts for `cell` per category and in total, at every horizon, as of the newest event
    /// time; empty when the engine has seen nothing. For the admin API's `/aggregates`.
    public func aggregates(cell: GridCell) -> [CategoryWindowCounts] {
        guard let now = watermark.maxEventTime else { return [] }
        var out: [CategoryWindowCounts] = []
        for id in 0..<categories.count {
            if let slot = windows.slot(of: AggregateKey.categoryCell(UInt16(id), cell)) {
                out.append(CategoryWindowCounts(category: categories.name(UInt16(id)), counts: counts(slot: slot, at: now)))
            }
        }
        let total =
            windows.slot(of: AggregateKey.cell(cell)).map { counts(slot: $0, at: now) }
            ?? [Int](repeating: 0, count: windows.specs.count)
        out.append(CategoryWindowCounts(category: nil, counts: total))
        return out
    }

    /// Counts for a neighbourhood per category and in total; nil when the name was never seen.
    public func aggregates(neighbourhood name: String) -> [CategoryWindowCounts]? {
        guard let now = watermark.maxEventTime, let n = neighbourhoods.existingID(for: name) else { return nil }
        var out: [CategoryWindowCounts] = []
        var total = [Int](repeating: 0, count: windows.specs.count)
        for id in 0..<categories.count {
            guard let slot = windows.slot(of: AggregateKey.categoryNeighbourhood(UInt16(id), n)) else { continue }
            let c = counts(slot: slot, at: now)
            for k in c.indices { total[k] += c[k] }
            out.append(CategoryWindowCounts(category: categories.name(UInt16(id)), counts: c))
        }
        out.append(CategoryWindowCounts(category: nil, counts: total))
        return out
    }

    private func counts(slot: Int32, at time: Timestamp) -> [Int] {
        windows.specs.indices.map { windows.count(slot: slot, spec: $0, at: time) }
    }
}
