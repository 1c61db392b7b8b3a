/// What the router sends one partition, in the city's order (`sequence`: the incident's place in
/// the router's input). A partition that applies its messages in order holds, for every cell it
/// evaluates, what one engine reading the whole city holds.
public enum RoutedMessage: Sendable, Equatable {
    /// The city's occurrences of weeks that no later evaluation may miss: sent to every partition
    /// before the first message that evaluates a later week (the incident at `sequence`); `index`
    /// numbers the layers and weeks sent there.
    case cityOccurrences(sequence: Int64, index: Int, CityOccurrences)
    /// A new hour began in the city at `sequence` (before that incident counts): every partition
    /// re-checks the centres it watches.
    case tick(sequence: Int64, hour: Int64)
    /// The incident at `sequence`; `halo`: a neighbouring tile's incident, counted as a neighbour,
    /// never evaluated as a centre nor cited as this partition's own.
    case incident(sequence: Int64, halo: Bool)
    /// Every message for the incidents up to `sequence` has been sent (to every partition, from
    /// time to time): a partition passes it on, so the lifecycle can release what no partition can
    /// still precede.
    case mark(sequence: Int64)

    /// Place in the city's order. A partition's messages have strictly increasing keys, so the
    /// messages a restarted router sends again are recognised by their key alone.
    public var key: RouteKey {
        switch self {
        case .cityOccurrences(let s, let index, _): RouteKey(sequence: s, step: index)
        case .tick(let s, _): RouteKey(sequence: s, step: RouteKey.tickStep)
        case .incident(let s, _): RouteKey(sequence: s, step: RouteKey.tickStep + 1)
        case .mark(let s): RouteKey(sequence: s, step: RouteKey.tickStep + 2)
        }
    }
}

/// A routed message's place in the city's order: the router's sequence, then the step within it
/// (city counts first, numbered; then the tick, the incident, a mark).
public struct RouteKey: Sendable, Hashable, Comparable {
    /// Steps below this are city-count messages (far more than the layers × weeks of one flush).
    public static let tickStep = 1 << 30
    public var sequence: Int64
    public var step: Int

    public static func < (a: RouteKey, b: RouteKey) -> Bool { (a.sequence, a.step) < (b.sequence, b.step) }
}
