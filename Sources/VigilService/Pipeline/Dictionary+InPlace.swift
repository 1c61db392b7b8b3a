extension Dictionary {
    /// Runs `body` on the value for `key` where the dictionary keeps it; nil (and `body` not run)
    /// when there is none.
    ///
    /// Why: mutating a value through the optional subscript (`engines[tp]?.process(…)`,
    /// `engines[tp]!.process(…)`) copied the whole value out and back for each call here. For a
    /// partition's `IncidentEngine`, that is a retain and a release of every array it holds, per
    /// record (retains, releases and the copy: 14 % of a rebuild's samples before, 6 % after).
    /// `values[i]` is mutated in place.
    mutating func withValue<R>(forKey key: Key, _ body: (inout Value) throws -> R) rethrows -> R? {
        guard let i = index(forKey: key) else { return nil }
        return try body(&values[i])
    }
}
