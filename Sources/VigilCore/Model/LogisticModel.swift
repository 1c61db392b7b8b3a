#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A standardised logistic regression in Vigil's documented JSON format `vigil-logistic/1`
/// (docs/MODELS.md), matching scikit-learn's
/// `Pipeline([SimpleImputer, StandardScaler, LogisticRegression]).predict_proba`:
/// `p = 1 / (1 + exp(-(intercept + Σ coefficient_i · (x_i − mean_i) / scale_i)))`, where a
/// missing `x_i` (NaN) is first replaced by `impute_i`. All arithmetic in Double.
public struct LogisticModel: Sendable, Equatable {
    public static let format = "vigil-logistic/1"

    public let featureNames: [String]
    public let intercept: Double
    public let coefficients: [Double]
    public let mean: [Double]
    public let scale: [Double]
    public let impute: [Double]
    public let attributes: [String: String]

    public init(json: JSONValue) throws(ModelError) {
        guard json["format"]?.string == Self.format else {
            throw ModelError(.unsupported, "format '\(json["format"]?.string ?? "?")' is not \(Self.format)")
        }
        guard let names = json["features"]?.array?.compactMap(\.string), !names.isEmpty else {
            throw ModelError(.malformed, "'features' must be a non-empty array of names")
        }
        func numbers(_ value: JSONValue?, _ key: String) throws(ModelError) -> [Double] {
            guard let a = value?.array else { throw ModelError(.malformed, "'\(key)' must be an array of \(names.count) numbers") }
            var out: [Double] = []
            for v in a {
                guard let d = v.double, d.isFinite else { throw ModelError(.malformed, "'\(key)' holds a non-number") }
                out.append(d)
            }
            guard out.count == names.count else {
                throw ModelError(.malformed, "'\(key)' has \(out.count) numbers for \(names.count) features")
            }
            return out
        }
        guard let intercept = json["intercept"]?.double, intercept.isFinite else {
            throw ModelError(.malformed, "'intercept' must be a number")
        }
        featureNames = names
        self.intercept = intercept
        coefficients = try numbers(json["coefficients"], "coefficients")
        mean = try numbers(json["scaler"]?["mean"], "scaler.mean")
        scale = try numbers(json["scaler"]?["scale"], "scaler.scale")
        impute = try numbers(json["impute"], "impute")
        guard scale.allSatisfy({ $0 > 0 }) else { throw ModelError(.malformed, "'scaler.scale' must be positive") }
        var attributes: [String: String] = [:]
        if case .object(let o)? = json["attributes"] { for (k, v) in o { if let s = v.string { attributes[k] = s } } }
        self.attributes = attributes
    }

    @inline(__always) func standardised(_ x: [Double], _ i: Int) -> Double {
        let v = x[i].isNaN ? impute[i] : x[i]
        return (v - mean[i]) / scale[i]
    }

    public func margin(_ x: [Double]) -> Double {
        var sum = 0.0
        for i in coefficients.indices { sum += coefficients[i] * standardised(x, i) }
        return sum + intercept
    }

    public func probability(_ x: [Double]) -> Double { 1 / (1 + exp(-margin(x))) }

    /// coefficient × standardised value, per feature (contributions to the log-odds).
    public func contributions(_ x: [Double], into out: inout [Double]) {
        if out.count != coefficients.count { out = Array(repeating: 0, count: coefficients.count) }
        for i in coefficients.indices { out[i] = coefficients[i] * standardised(x, i) }
    }
}
