/// What the engine decided about one incident.
public enum EngineDecision: Sendable, Equatable {
    /// Counted; these alerts fired (often none).
    case accepted([Alert])
    /// Behind the watermark: not counted; the caller sends it to the late side path.
    case late(watermark: Timestamp)
}
