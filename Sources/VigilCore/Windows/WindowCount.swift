/// One window count of one key, as reported by queries.
public struct WindowCount: Sendable, Equatable {
    public var family: AggregateKey.Family
    public var category: String?
    public var neighbourhood: String?
    public var cell: GridCell?
    public var spec: WindowSpec
    public var count: Int
}
