/// A message on one of the stages' internal topics that this build cannot read, with the reason
/// (for the log and the dead-letter topic).
public struct MalformedStageMessage: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }

    public init(reason: String) { self.reason = reason }
}
