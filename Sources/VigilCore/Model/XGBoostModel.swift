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
/// Trees are flattened into one array of 16-byte nodes, re-laid out so that every inner node's
/// children are adjacent (right = left + 1): a step is then `left + goRight` with no unpredictable
/// branch, which matters because every incident walks every tree.
public struct XGBoostModel: Sendable, Equatable {
    /// One node: split feature, threshold (or the leaf value), first child (-1 for a leaf; the
    /// right child follows it), and 1 when a missing value goes right.
    struct Node: Sendable, Equatable {
        var feature: Int32
        var condition: Float
        var left: Int32
        var missingRight: Int32
    }

    let nodes: [Node]
    /// Cover-weighted mean leaf value under each node (Saabas contributions, as XGBoost's approx_contribs).
    let meanValue: [Double]
    let roots: [Int32]
    /// The same trees as complete binary trees (no shape branches in the walk), when they are at
    /// most `CompleteTreeEnsemble.maximumDepth` deep; `margin` uses it when present and
    /// `sixteenLanes` is not.
    let complete: CompleteTreeEnsemble?
    /// The complete trees sixteen to a vector, where this CPU runs that walk; `margin` prefers it.
    let sixteenLanes: SixteenLaneTrees?
    /// The complete trees laid out for a block of incidents at once (sixteen with AVX-512, eight
    /// with AVX2), where this CPU runs that walk: the engine scores a batch's incidents a block at
    /// a time with it (`DeferredScores`).
    let incidentBlocks: IncidentBlockTrees?
    /// The base score in margin space (logit of the stored probability, in float32).
    public let baseMargin: Float
    public let featureNames: [String]
    public let attributes: [String: String]

    public var treeCount: Int { roots.count }
    public var nodeCount: Int { nodes.count }

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
        var feature: [Int32] = []
        var condition: [Float] = []
        var left: [Int32] = []
        var right: [Int32] = []
        var defaultLeft: [Bool] = []
        var hessian: [Double] = []
        var roots: [Int32] = []
        for (t, tree) in trees.enumerated() {
            func ints(_ key: String) throws(ModelError) -> [Int] {
                guard let a = tree[key]?.array else { throw ModelError(.malformed, "tree \(t): no '\(key)' array") }
                var out: [Int] = []
                for v in a {
                    guard let i = v.int else { throw ModelError(.malformed, "tree \(t): '\(key)' holds a non-integer") }
                    out.append(i)
                }
                return out
            }
            let l = try ints("left_children")
            let r = try ints("right_children")
            let idx = try ints("split_indices")
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
        // Node means (cover-weighted, from the leaves up); a child may precede its parent, so recurse.
        var mean = [Double](repeating: .nan, count: feature.count)
        func fill(_ i: Int, depth: Int) throws(ModelError) -> Double {
            guard depth < 1000 else { throw ModelError(.malformed, "tree deeper than 1000 (a cycle?)") }
            if !mean[i].isNaN { return mean[i] }
            if left[i] < 0 {
                mean[i] = Double(condition[i])
                return mean[i]
            }
            let l = Int(left[i])
            let r = Int(right[i])
            let h = hessian[i] > 0 ? hessian[i] : 1
            mean[i] = (try fill(l, depth: depth + 1) * hessian[l] + (try fill(r, depth: depth + 1)) * hessian[r]) / h
            return mean[i]
        }
        // Re-lay each tree breadth-first, children in adjacent slots.
        var nodes: [Node] = []
        var means: [Double] = []
        var newRoots: [Int32] = []
        nodes.reserveCapacity(feature.count)
        for root in roots {
            _ = try fill(Int(root), depth: 0)
            var queue = [Int(root)]
            var head = 0
            newRoots.append(Int32(nodes.count))
            var next = nodes.count + 1  // the next free slot (after the root)
            while head < queue.count {
                let i = queue[head]
                head += 1
                guard queue.count <= feature.count else { throw ModelError(.malformed, "tree nodes are shared or cyclic") }
                if left[i] < 0 {
                    nodes.append(Node(feature: 0, condition: condition[i], left: -1, missingRight: 0))
                } else {
                    nodes.append(
                        Node(feature: feature[i], condition: condition[i], left: Int32(next), missingRight: defaultLeft[i] ? 0 : 1))
                    next += 2
                    queue.append(Int(left[i]))
                    queue.append(Int(right[i]))
                }
                means.append(mean[i])
            }
        }
        self.nodes = nodes
        self.roots = newRoots
        meanValue = means
        complete = CompleteTreeEnsemble(nodes: nodes, roots: newRoots)
        sixteenLanes = complete.flatMap { SixteenLaneTrees($0, featureCount: names.count) }
        incidentBlocks = complete.flatMap { IncidentBlockTrees($0, featureCount: names.count) }
    }

    /// The child a value goes to from an inner node: `left`, or `left + 1` when `v >= condition`
    /// (strict `<` goes left) or when `v` is missing and the node's default is right. Branch-free.
    @inline(__always) static func next(_ node: Node, _ v: Float) -> Int32 {
        let notLess: Int32 = v < node.condition ? 0 : 1  // NaN compares false: 1
        let present: Int32 = v.isNaN ? 0 : 1
        return node.left + (notLess & (node.missingRight | present))
    }

    /// The margin (log-odds), float32 as XGBoost sums it: base, then each tree's leaf in order.
    public func margin(_ x: [Double]) -> Float {
        if let sixteenLanes { return sixteenLanes.margin(x, base: baseMargin) }
        if let complete { return complete.margin(x, base: baseMargin) }
        return pointerMargin(x)
    }

    /// The margin by walking the re-laid trees node by node (models deeper than the complete
    /// layout allows; also the reference the complete layout is tested against).
    func pointerMargin(_ x: [Double]) -> Float {
        x.withUnsafeBufferPointer { p in
            nodes.withUnsafeBufferPointer { tree in
                roots.withUnsafeBufferPointer { rootList in
                    // Eight trees walked together: eight independent chains of dependent loads
                    // overlap in the CPU. Leaves are still added one tree at a time, in order.
                    @inline(__always) func step(_ i: Int32) -> Int32 {
                        let node = tree[Int(i)]
                        return node.left < 0 ? i : Self.next(node, Float(p[Int(node.feature)]))
                    }
                    var sum = baseMargin
                    var t = 0
                    while t + 8 <= rootList.count {
                        var a = rootList[t]
                        var b = rootList[t + 1]
                        var c = rootList[t + 2]
                        var d = rootList[t + 3]
                        var e = rootList[t + 4]
                        var f = rootList[t + 5]
                        var g = rootList[t + 6]
                        var h = rootList[t + 7]
                        // The AND of the first-child indices is negative only when all eight are leaves
                        // (-1); a step at a leaf stays there.
                        while (tree[Int(a)].left & tree[Int(b)].left & tree[Int(c)].left & tree[Int(d)].left
                            & tree[Int(e)].left & tree[Int(f)].left & tree[Int(g)].left & tree[Int(h)].left) >= 0
                        {
                            a = step(a)
                            b = step(b)
                            c = step(c)
                            d = step(d)
                            e = step(e)
                            f = step(f)
                            g = step(g)
                            h = step(h)
                        }
                        sum += tree[Int(a)].condition
                        sum += tree[Int(b)].condition
                        sum += tree[Int(c)].condition
                        sum += tree[Int(d)].condition
                        sum += tree[Int(e)].condition
                        sum += tree[Int(f)].condition
                        sum += tree[Int(g)].condition
                        sum += tree[Int(h)].condition
                        t += 8
                    }
                    while t < rootList.count {
                        var a = rootList[t]
                        while tree[Int(a)].left >= 0 { a = step(a) }
                        sum += tree[Int(a)].condition
                        t += 1
                    }
                    return sum
                }
            }
        }
    }

    /// P(positive): XGBoost's float32 sigmoid of the margin.
    public func probability(_ x: [Double]) -> Double {
        Self.probability(margin: margin(x))
    }

    /// XGBoost's float32 sigmoid of a margin.
    @inline(__always) static func probability(margin m: Float) -> Double {
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
                while nodes[n].left >= 0 {
                    let next = Int(Self.next(nodes[n], Float(p[Int(nodes[n].feature)])))
                    out[Int(nodes[n].feature)] += meanValue[next] - meanValue[n]
                    n = next
                }
            }
        }
    }
}
