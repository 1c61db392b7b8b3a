extension Array where Element: BitwiseCopyable {
    /// Appends `n` copies of `value`: a fill of a scratch buffer, then one copy into the array.
    ///
    /// Why: the tables grow one fixed-size record at a time (a window key's ~190 ring counts, a
    /// scan slot's hours, weekly counts and cached counts, a tile's cells), and
    /// `append(contentsOf: repeatElement(value, count: n))` went through the generic sequence
    /// path, element by element. Keys come and go all the time (a replay of Toronto 2020–21
    /// creates ~50,000 for 59,049 incidents): −45 to −55 instructions an incident there.
    @inline(__always)
    mutating func append(repeating value: Element, count n: Int) {
        guard n > 0 else { return }
        withUnsafeTemporaryAllocation(of: Element.self, capacity: n) { scratch in
            scratch.initialize(repeating: value)
            append(contentsOf: UnsafeBufferPointer(scratch))
        }
    }
}
