/// Counts of one grid cell in one window, for the operator's map.
public struct CellWindowCount: Sendable, Equatable {
    public var cell: GridCell
    public var count: Int
}
