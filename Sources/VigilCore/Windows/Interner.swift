/// Maps names (categories, neighbourhoods) to small integers so aggregate keys pack into a
/// `UInt64`: hashing an integer per event instead of a string.
///
/// Ids are given in order of first appearance, so they are deterministic for a given input.
public struct Interner: Sendable {
    private var ids: [String: UInt16] = [:]
    public private(set) var names: [String] = []
    /// The largest id handed out; beyond it `id(for:)` returns nil (a hard cap).
    public static let capacity = 0xFFFE

    public init() {}

    public var count: Int { names.count }

    public mutating func id(for name: String) -> UInt16? {
        if let id = ids[name] { return id }
        guard names.count < Self.capacity else { return nil }
        let id = UInt16(names.count)
        ids[name] = id
        names.append(name)
        return id
    }

    public func existingID(for name: String) -> UInt16? { ids[name] }

    public func name(_ id: UInt16) -> String { names[Int(id)] }
}
