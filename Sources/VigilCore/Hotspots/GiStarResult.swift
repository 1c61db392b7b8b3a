/// One Gi* evaluation of the hotspot window (`GiStar.compute`): the universe's mean and standard
/// deviation of cell counts, and the cells whose Gi* reached the threshold.
public struct GiStarResult: Sendable, Equatable {
    public struct Cell: Sendable, Equatable {
        public var cell: GridCell
        public var count: Int
        public var localSum: Int
        public var giStar: Double
    }

    public var mean: Double
    public var standardDeviation: Double
    public var universeSize: Int
    /// Hot cells, sorted by cell.
    public var hot: [Cell]
}
