/// The key families Vigil aggregates over, packed into one `UInt64`:
/// `family (4 bits) | category (16 bits) | payload (44 bits)`, where the payload is a grid cell
/// (22 bits per axis, offset so negative indices fit) or a neighbourhood id.
public enum AggregateKey {
    public enum Family: UInt64, Sendable, CaseIterable {
        case categoryCell = 1
        case categoryNeighbourhood = 2
        case cell = 3

        public var name: String {
            switch self {
            case .categoryCell: "category_cell"
            case .categoryNeighbourhood: "category_neighbourhood"
            case .cell: "cell"
            }
        }
    }

    static let axisBias: Int64 = 1 << 21
    static let axisMask: UInt64 = (1 << 22) - 1

    @inline(__always) static func pack(_ family: Family, category: UInt16, payload: UInt64) -> UInt64 {
        (family.rawValue << 60) | (UInt64(category) << 44) | (payload & ((1 << 44) - 1))
    }

    @inline(__always) static func cellPayload(_ cell: GridCell) -> UInt64 {
        ((UInt64(Int64(cell.x) + axisBias) & axisMask) << 22) | (UInt64(Int64(cell.y) + axisBias) & axisMask)
    }

    public static func categoryCell(_ category: UInt16, _ cell: GridCell) -> UInt64 {
        pack(.categoryCell, category: category, payload: cellPayload(cell))
    }

    public static func categoryNeighbourhood(_ category: UInt16, _ neighbourhood: UInt16) -> UInt64 {
        pack(.categoryNeighbourhood, category: category, payload: UInt64(neighbourhood))
    }

    public static func cell(_ cell: GridCell) -> UInt64 {
        pack(.cell, category: 0, payload: cellPayload(cell))
    }

    public static func family(_ key: UInt64) -> Family? { Family(rawValue: key >> 60) }
    public static func category(_ key: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: key >> 44) }
    public static func neighbourhood(_ key: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: key) }

    public static func cell(of key: UInt64) -> GridCell {
        let x = Int64((key >> 22) & axisMask) - axisBias
        let y = Int64(key & axisMask) - axisBias
        return GridCell(x: Int32(x), y: Int32(y))
    }
}
