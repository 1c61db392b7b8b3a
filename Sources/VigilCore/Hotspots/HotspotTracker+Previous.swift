extension HotspotTracker {
    /// The hotspots an evaluation matches against: the last evaluation's (one per component, in
    /// component order), then the dormant ones (unseen since, not yet closed), numbered in that
    /// order and read field by field in place.
    ///
    /// Why two arrays: kept as one, they were concatenated at the end of every evaluation with a
    /// dormant hotspot (710 of 731 days of one engine over Toronto 2020–21), which copied every
    /// hotspot (four reference-counted fields each, atomic retains on the engine's thread) into a
    /// second array that was destroyed again a day later beside the snapshot's. The fields are
    /// read through functions, not a subscript: a `_read` subscript stayed an out-of-line
    /// coroutine that copied the hotspot it yielded.
    struct PreviousHotspots: Sendable {
        /// The last evaluation's hotspots: the same array as its snapshot's (shared, not copied).
        var seen: [Hotspot] = []
        var dormant: [Hotspot] = []

        var count: Int { seen.count + dormant.count }
        var indices: Range<Int> { 0..<count }

        @inline(__always) func id(_ i: Int) -> String { i < seen.count ? seen[i].id : dormant[i &- seen.count].id }
        @inline(__always) func cells(_ i: Int) -> [GridCell] { i < seen.count ? seen[i].cells : dormant[i &- seen.count].cells }
        @inline(__always) func openedAt(_ i: Int) -> Timestamp {
            i < seen.count ? seen[i].openedAt : dormant[i &- seen.count].openedAt
        }
        @inline(__always) func lastSeenAt(_ i: Int) -> Timestamp {
            i < seen.count ? seen[i].lastSeenAt : dormant[i &- seen.count].lastSeenAt
        }
        @inline(__always) func persistence(_ i: Int) -> Int {
            i < seen.count ? seen[i].persistence : dormant[i &- seen.count].persistence
        }
        @inline(__always) func announcedCells(_ i: Int) -> Int? {
            i < seen.count ? seen[i].announcedCells : dormant[i &- seen.count].announcedCells
        }
        /// A copy of hotspot `i` (for `dormant` or an alert).
        func hotspot(_ i: Int) -> Hotspot { i < seen.count ? seen[i] : dormant[i &- seen.count] }
    }
}
