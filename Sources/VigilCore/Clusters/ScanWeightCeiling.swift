/// For each alerting floor, the baseline weight at and above which a cylinder cannot reach the
/// floor, per observed count and per expected-to-weight ratio θ: one comparison instead of the
/// logarithms of `ScanCylinder.surprise` for the many candidate cylinders that end below the floor.
///
/// Why it holds: the surprise falls as the weight α grows at a fixed θ = E / α (the null widens
/// less, the surprise is a sum of more gamma-Poisson parts), and as θ grows at a fixed α (a larger
/// scale makes the count stochastically larger). An entry is a weight A whose surprise at a grid
/// ratio θₖ, computed in full, is below the floor less a relative 1e-6; every cylinder with O
/// occurrences, a ratio at least θₖ and a weight at least A is then below the floor too. The 1e-6
/// dwarfs the surprise's rounding (about 1e-13 relative), so a cylinder whose computed surprise
/// reaches the floor is never skipped and the alerts stay byte-identical.
///
/// Within an evaluation θ = level × share / Wa depends only on the duration, but it moves with every
/// incident, so the table is cached by grid ratio, not by θ: θₖ is θ with its mantissa cut to its
/// first `mantissaBits` bits (so θₖ ≤ θ, at most 6 % below). Entries are computed when first needed
/// (about eight surprises each) and kept. A row is one (floor, θₖ): up to `maxFloors` floors
/// (a floor per layer or per family of durations) have rows; cylinders of any other are computed in
/// full.
struct ScanWeightCeiling: Sendable {
    static let maxFloors = 8
    /// Counts up to this have entries; a cylinder with more is computed in full.
    static let maxObserved = 127
    private static let mantissaBits = 4
    private static let shift = UInt64(52 - mantissaBits)
    /// Grid ratios from 2^-40 to just below 2^8 (Toronto's θ lie between about 1e-5 and 1e-1).
    private static let firstKey = Int((1023 - 40) << mantissaBits)
    private static let keyCount = 48 << mantissaBits
    /// The floors with rows, in the order first seen.
    private var floors: [Double] = []
    /// Per floor and grid key (`keyCount` keys per floor): its row in `ceilings` (-1: none yet).
    private var rowOfKey: [Int32] = []
    /// Per row: its floor and grid ratio.
    private var floorOfRow: [Double] = []
    private var thetaOfRow: [Double] = []
    /// Rows of `maxObserved + 1` weights; NaN: not computed yet.
    private var ceilings: [Double] = []

    /// The row for `floor` (> 0) and ratio `theta` (its grid point is at most `theta`), or -1 when
    /// the ratio is off the grid or the floor has no table (then nothing is skipped). `theta` must
    /// not exceed the ratio the surprise computes.
    @inline(__always) mutating func row(theta: Double, floor: Double) -> Int {
        guard theta > 0, theta.isFinite else { return -1 }
        let key = Int(theta.bitPattern >> Self.shift) - Self.firstKey
        guard key >= 0, key < Self.keyCount else { return -1 }
        var f = 0
        while f < floors.count, floors[f] != floor { f += 1 }
        if f < floors.count, rowOfKey[f * Self.keyCount + key] >= 0 { return Int(rowOfKey[f * Self.keyCount + key]) }
        return newRow(floorIndex: f, floor: floor, key: key)
    }

    private mutating func newRow(floorIndex f: Int, floor: Double, key: Int) -> Int {
        if f == floors.count {
            guard floor > 0, floors.count < Self.maxFloors else { return -1 }
            floors.append(floor)
            rowOfKey.append(contentsOf: repeatElement(-1, count: Self.keyCount))
        }
        rowOfKey[f * Self.keyCount + key] = Int32(thetaOfRow.count)
        floorOfRow.append(floor)
        thetaOfRow.append(Double(bitPattern: UInt64(key + Self.firstKey) << Self.shift))
        ceilings.append(contentsOf: repeatElement(Double.nan, count: Self.maxObserved + 1))
        return thetaOfRow.count - 1
    }

    /// Whether a cylinder with `observed` occurrences, a weight of `weight` and a ratio on `row`'s
    /// grid point or above (`row(theta:floor:)`) surely ends below the row's floor. Reads only,
    /// once the entry exists (an evaluation's hot loop pays no uniqueness check).
    @inline(__always) mutating func skips(observed: Int, weight: Double, row: Int) -> Bool {
        guard row >= 0, observed <= Self.maxObserved else { return false }
        let at = row * (Self.maxObserved + 1) + observed
        let ceiling = ceilings[at]
        if ceiling.isNaN { return weight >= fill(at: at, observed: observed, row: row) }
        return weight >= ceiling
    }

    private mutating func fill(at: Int, observed: Int, row: Int) -> Double {
        let ceiling = Self.ceiling(observed: observed, theta: thetaOfRow[row], floor: floorOfRow[row])
        ceilings[at] = ceiling
        return ceiling
    }

    /// A weight at which the surprise of `observed` occurrences at ratio `theta` is below
    /// `floor` × (1 − 1e-6), within 2.2 % of the smallest such weight; +∞ when there is none
    /// (nothing is skipped). From the Poisson tail's crossing (a first guess), doubling or halving
    /// to a bracket, then five bisections in log space: about eight surprises, most of them ended
    /// early by the surprise's own pmf bound.
    static func ceiling(observed: Int, theta: Double, floor: Double) -> Double {
        guard observed > 0 else { return 0 }  // no excess: the surprise is 0
        let target = floor * (1 - 1e-6)
        func below(_ weight: Double) -> Bool {
            ScanCylinder.surprise(observed: observed, expected: theta * weight, weight: weight, atLeast: target) < target
        }
        // At E = O there is no excess.
        let limit = Double(observed) / theta
        guard below(limit) else { return .infinity }
        let o = Double(observed)
        var high = min(limit, exp((ScanCylinder.logFactorial(observed) - floor) / o) / theta)
        if !(high > 0) { high = limit }  // the guess underflowed (a floor far above any surprise here)
        var low: Double
        if below(high) {
            low = high / 2
            // Every weight tried is positive: a weight of 0 has no surprise and proves nothing.
            while low > 0, below(low) {
                high = low
                low /= 2
            }
            guard low > 0 else { return high }
        } else {
            low = high
            high = min(low * 2, limit)
            while !below(high) {
                low = high
                high = min(high * 2, limit)
            }
        }
        for _ in 0..<5 {
            let middle = low.squareRoot() * high.squareRoot()  // not (low × high).squareRoot(): it underflows below 1e-154
            if below(middle) { high = middle } else { low = middle }
        }
        return high
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
