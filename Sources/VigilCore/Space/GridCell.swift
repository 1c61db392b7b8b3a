/// A square cell of a `MetricGrid`: column `x` (eastward) and row `y` (northward).
public struct GridCell: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var x: Int32
    public var y: Int32

    public init(x: Int32, y: Int32) {
        self.x = x
        self.y = y
    }

    /// Stable text form used in alert keys and ids, e.g. "x12y34".
    public var description: String { "x\(x)y\(y)" }

    public static func < (a: GridCell, b: GridCell) -> Bool { (a.x, a.y) < (b.x, b.y) }
}
