/// What the router sends one partition, in the city's order (`sequence`: the incident's place in
/// the router's input). A partition that applies its messages in order holds, for every cell it
/// evaluates, what one engine reading the whole city holds.
public enum RoutedMessage: Sendable, Equatable {
    /// The city's occurrences of weeks that no later evaluation may miss: sent to every partition
    /// before the first message that evaluates a later week.
    case cityOccurrences(CityOccurrences)
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
}
