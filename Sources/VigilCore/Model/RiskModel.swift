/// A near-repeat risk model in one of the file formats Vigil scores.
public enum RiskModel: Sendable, Equatable {
    case xgboost(XGBoostModel)
    case logistic(LogisticModel)

    /// Parses a model file: XGBoost JSON (an object with "learner") or `vigil-logistic/1`.
    public static func parse(_ bytes: [UInt8]) throws(ModelError) -> RiskModel {
        let json = try JSONValue.parse(bytes)
        if json["learner"] != nil { return .xgboost(try XGBoostModel(json: json)) }
        if json["format"] != nil { return .logistic(try LogisticModel(json: json)) }
        throw ModelError(.unsupported, "neither an XGBoost JSON model (no 'learner') nor a \(LogisticModel.format) file (no 'format')")
    }

    public var kind: String {
        switch self {
        case .xgboost: "xgboost"
        case .logistic: "logistic"
        }
    }

    public var featureNames: [String] {
        switch self {
        case .xgboost(let m): m.featureNames
        case .logistic(let m): m.featureNames
        }
    }

    /// String attributes stored with the model (train.py writes version, radius and horizon).
    public var attributes: [String: String] {
        switch self {
        case .xgboost(let m): m.attributes
        case .logistic(let m): m.attributes
        }
    }

    /// P(another incident within the model's radius and horizon).
    @inline(__always) public func probability(_ x: [Double]) -> Double {
        switch self {
        case .xgboost(let m): m.probability(x)
        case .logistic(let m): m.probability(x)
        }
    }

    /// Per-feature contributions to the log-odds.
    public func contributions(_ x: [Double], into out: inout [Double]) {
        switch self {
        case .xgboost(let m): m.contributions(x, into: &out)
        case .logistic(let m): m.contributions(x, into: &out)
        }
    }
}
