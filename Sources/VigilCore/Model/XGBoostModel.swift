#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A binary:logistic gradient-boosted tree ensemble read from XGBoost's JSON model format
/// (`Booster.save_model("model.json")`), scored exactly as XGBoost's CPU predictor does:
///
/// - inputs are converted to `Float` (XGBoost's DMatrix stores float32);
/// - a split sends `x < threshold` (strict, float32 threshold) left, anything else right, and a
///   missing value (NaN) the node's default direction;
/// - the margin starts at the base score's logit and adds each tree's leaf in tree order, in
///   float32; the probability is XGBoost's float32 sigmoid of it.
///
/// Trees are flattened into one node array (children as global indices) for cache-friendly walks.
public struct XGBoostModel: Sendable, Equatable {
    /// Per node: feature index, threshold (or leaf value), children (-1 for a leaf), default direction.
    let feature: [Int32]
    let condition: [Float]
    let left: [Int32]
    let right: [Int32]
    let defaultLeft: [Bool]
    /// Cover-weighted mean leaf value under each node (Saabas contributions, as XGBoost's approx_contribs).
    let meanValue: [Double]
    let roots: [Int32]
    /// The base score in margin space (logit of the stored probability, in float32).
    public let baseMargin: Float
    public let featureNames: [String]
    public let attributes: [String: String]

    public var treeCount: Int { roots.count }
    public var nodeCount: Int { feature.count }

    public init(json: JSONValue) throws(ModelError) {
        guard let learner = json["learner"] else { throw ModelError(.malformed, "no 'learner' object (not an XGBoost JSON model)") }
        let objective = learner["objective"]?["name"]?.string ?? "?"
        guard objective == "binary:logistic" || objective == "reg:logistic" else {
            throw ModelError(.unsupported, "objective '\(objective)' is not supported; train with objective=\"binary:logistic\"")
        }
        guard learner["gradient_booster"]?["name"]?.string == "gbtree" else {
            throw ModelError(.unsupported, "booster '\(learner["gradient_booster"]?["name"]?.string ?? "?")' is not supported; use gbtree")
        }
        guard let names = learner["feature_names"]?.array?.compactMap(\.string), !names.isEmpty else {
            throw ModelError(.malformed, "no learner.feature_names; train from a DataFrame (or set feature_names) so names can be checked")
        }
        featureNames = names
        var attributes: [String: String] = [:]
        if case .object(let o)? = learner["attributes"] { for (k, v) in o { if let s = v.string { attributes[k] = s } } }
        self.attributes = attributes
        // XGBoost >= 3 writes "[5E-1]" (a vector); 2.x writes "5E-1". The value is a probability.
        var baseText = learner["learner_model_param"]?["base_score"]?.string ?? ""
        baseText.removeAll { $0 == "[" || $0 == "]" || $0 == " " }
        guard let base = Float(baseText), base > 0, base < 1 else {
            throw ModelError(.malformed, "learner_model_param.base_score '\(baseText)' is not a probability in (0, 1)")
        }
        baseMargin = -logf(1.0 / base - 1.0)
        guard let trees = learner["gradient_booster"]?["model"]?["trees"]?.array else {
            throw ModelError(.malformed, "no learner.gradient_booster.model.trees array")
        }
        var feature: [Int32] = [], condition: [Float] = [], left: [Int32] = [], right: [Int32] = []
        var defaultLeft: [Bool] = [], hessian: [Double] = [], roots: [Int32] = []
        for (t, tree) in trees.enumerated() {
            func ints(_ key: String) throws(ModelError) -> [Int] {
                guard let a = tree[key]?.array else { throw ModelError(.malformed, "tree \(t): no '\(key)' array") }
                var out: [Int] = []
                for v in a { guard let i = v.int else { throw ModelError(.malformed, "tree \(t): '\(key)' holds a non-integer") }; out.append(i) }
                return out
            }
            let l = try ints("left_children"), r = try ints("right_children"), idx = try ints("split_indices")
            let dl = try ints("default_left")
            guard let conds = tree["split_conditions"]?.array, let hess = tree["sum_hessian"]?.array else {
                throw ModelError(.malformed, "tree \(t): no split_conditions or sum_hessian")
            }
            let n = l.count
            guard n > 0, r.count == n, idx.count == n, dl.count == n, conds.count == n, hess.count == n else {
                throw ModelError(.malformed, "tree \(t): node arrays differ in length")
            }
            if let types = tree["split_type"]?.array, types.contains(where: { $0.int != 0 }) {
                throw ModelError(.unsupported, "tree \(t) has categorical splits; train with numerical features only")
            }
            let base = Int32(feature.count)
            roots.append(base)
            for i in 0..<n {
                let leaf = l[i] == -1
                guard leaf == (r[i] == -1), leaf || (l[i] > 0 && l[i] < n && r[i] > 0 && r[i] < n) else {
                    throw ModelError(.malformed, "tree \(t) node \(i): bad children \(l[i]), \(r[i])")
                }
                guard leaf || (idx[i] >= 0 && idx[i] < names.count) else {
                    throw ModelError(.malformed, "tree \(t) node \(i): split feature \(idx[i]) out of range (\(names.count) features)")
                }
                guard let c = conds[i].float, c.isFinite, let h = hess[i].double else {
                    throw ModelError(.malformed, "tree \(t) node \(i): bad split condition or hessian")
                }
                feature.append(Int32(idx[i]))
                condition.append(c)
                left.append(leaf ? -1 : base + Int32(l[i]))
                right.append(leaf ? -1 : base + Int32(r[i]))
                defaultLeft.append(dl[i] != 0)
                hessian.append(h)
            }
        }
        guard !roots.isEmpty else { throw ModelError(.malformed, "the model has no trees") }
        self.feature = feature; self.condition = condition; self.left = left; self.right = right
        self.defaultLeft = defaultLeft; self.roots = roots
        // Node means bottom-up (children always follow their parent in XGBoost's numbering).
        var mean = [Double](repeating: 0, count: feature.count)
        for i in stride(from: feature.count - 1, through: 0, by: -1) {
            if left[i] < 0 { mean[i] = Double(condition[i]); continue }
            let l = Int(left[i]), r = Int(right[i])
            let h = hessian[i] > 0 ? hessian[i] : 1
            mean[i] = (mean[l] * hessian[l] + mean[r] * hessian[r]) / h
        }
        meanValue = mean
    }

    @inline(__always) private func leaf(_ root: Int32, _ x: UnsafeBufferPointer<Double>) -> Int {
        var n = Int(root)
        while left[n] >= 0 {
            let v = Float(x[Int(feature[n])])
            n = Int(v.isNaN ? (defaultLeft[n] ? left[n] : right[n]) : (v < condition[n] ? left[n] : right[n]))
        }
        return n
    }

    /// The margin (log-odds), float32 as XGBoost sums it.
    public func margin(_ x: [Double]) -> Float {
        x.withUnsafeBufferPointer { p in
            var sum = baseMargin
            for root in roots { sum += condition[leaf(root, p)] }
            return sum
        }
    }

    /// P(positive): XGBoost's float32 sigmoid of the margin.
    public func probability(_ x: [Double]) -> Double {
        let m = margin(x)
        let denominator = expf(min(-m, 88.7)) + 1.0 + Float(1e-16)
        return Double(1.0 / denominator)
    }

    /// Saabas contributions to the margin: along each tree's path, the change of the node mean is
    /// credited to the feature split on (XGBoost's `pred_contribs=True, approx_contribs=True`).
    public func contributions(_ x: [Double], into out: inout [Double]) {
        if out.count != featureNames.count { out = Array(repeating: 0, count: featureNames.count) }
        for i in out.indices { out[i] = 0 }
        x.withUnsafeBufferPointer { p in
            for root in roots {
                var n = Int(root)
                while left[n] >= 0 {
                    let v = Float(p[Int(feature[n])])
                    let next = Int(v.isNaN ? (defaultLeft[n] ? left[n] : right[n]) : (v < condition[n] ? left[n] : right[n]))
                    out[Int(feature[n])] += meanValue[next] - meanValue[n]
                    n = next
                }
            }
        }
    }
}
