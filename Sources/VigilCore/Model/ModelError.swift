/// Why a model file was rejected. The daemon keeps serving the previous model when this is thrown.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Not JSON, or not the structure its format requires.
        case malformed
        /// A format or objective Vigil does not score.
        case unsupported
        /// The model's feature names differ from the vector Vigil computes.
        case featureMismatch = "feature_mismatch"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
