extension IncidentEngine {
    /// A fingerprint of the window state as of the newest event time: every non-zero count of every
    /// key and horizon, named by category, neighbourhood and cell (not by internal ids, which depend
    /// on arrival order), sorted, hashed.
    ///
    /// Two engines that saw the same incidents within the horizons have the same digest, however
    /// they got there (an uninterrupted run, or a rebuild by replay after a crash), so recovery
    /// tests can compare state without exposing it.
    public var stateDigest: (digest: String, counts: Int) {
        guard let now = watermark.maxEventTime else { return (StableHash().hex, 0) }
        var lines: [String] = []
        for (key, slot) in windows.entries {
            guard let family = AggregateKey.family(key) else { continue }
            let name: String
            switch family {
            case .categoryCell:
                name = "\(categories.name(AggregateKey.category(key)))|\(AggregateKey.cell(of: key))"
            case .categoryNeighbourhood:
                name = "\(categories.name(AggregateKey.category(key)))|n:\(neighbourhoods.name(AggregateKey.neighbourhood(key)))"
            case .cell:
                name = "*|\(AggregateKey.cell(of: key))"
            }
            for (k, spec) in windows.specs.enumerated() {
                let count = windows.count(slot: slot, spec: k, at: now)
                if count > 0 { lines.append("\(family.name)|\(name)|\(spec)|\(count)") }
            }
        }
        lines.sort()
        var hash = StableHash()
        for line in lines { hash.combine(line) }
        return (hash.hex, lines.count)
    }
}
