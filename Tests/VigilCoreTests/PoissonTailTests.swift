import Foundation
import Testing

@testable import VigilCore

@Suite("PoissonTail")
struct PoissonTailTests {
    /// P(X >= k | lambda) by a direct sum of the tail terms, computed independently of the
    /// implementation: pmf by the recurrence p(0) = e^-λ, p(i) = p(i-1)·λ/i, compensated (Kahan)
    /// summation of the terms i >= k only, so there is no cancellation even for tiny tails.
    static func reference(_ k: Int, mean lambda: Double) -> Double {
        if k <= 0 { return 1 }
        let last = max(k, Int(lambda)) + Int(40 * lambda.squareRoot()) + 60
        var p = exp(-lambda)
        var sum = 0.0
        var compensation = 0.0
        for i in 0...last {
            if i > 0 { p *= lambda / Double(i) }
            guard i >= k else { continue }
            let y = p - compensation
            let t = sum + y
            compensation = (t - sum) - y
            sum = t
        }
        return sum
    }

    /// Relative closeness, or absolute for values too small to compare relatively.
    static func close(_ a: Double, _ b: Double, relative: Double = 1e-9) -> Bool {
        if Swift.max(abs(a), abs(b)) < 1e-290 { return abs(a - b) <= 1e-300 }
        return abs(a - b) <= relative * Swift.max(abs(a), abs(b))
    }

    static let means: [Double] = [0.01, 0.5, 3, 20, 100]

    @Test("P(X >= 0) = 1 and P(X >= 1 | λ) = 1 - e^-λ", arguments: PoissonTailTests.means)
    func firstTerms(lambda: Double) {
        #expect(PoissonTail.upper(0, mean: lambda) == 1)
        #expect(PoissonTail.upper(-3, mean: lambda) == 1)
        let p1 = PoissonTail.upper(1, mean: lambda)
        #expect(Self.close(p1, -expm1(-lambda), relative: 1e-12), "\(p1) vs \(-expm1(-lambda))")
    }

    @Test("known values (40-digit references)")
    func knownValues() {
        let cases: [(k: Int, lambda: Double, p: Double)] = [
            (5, 0.5, 1.721156299558407781117040379759712793571e-4),
            (6, 0.5, 1.416493732234249071488124240535136961034e-5),
            (9, 0.5, 3.435490246848132055984320336712522700269e-9),
            (2, 0.5, 9.020401043104986459430069751322931983713e-2),
            (6, 1, 5.941848175816929988270910613646434388872e-4),
            (7, 1, 8.324114928802310772219693614039223410635e-5),
            (150, 100, 1.88421046603867001353269130272290946439e-6),
            (200, 100, 9.343150072988390280323554633294146647701e-19)
        ]
        for c in cases {
            let got = PoissonTail.upper(c.k, mean: c.lambda)
            #expect(Self.close(got, c.p, relative: 1e-10), "P(X >= \(c.k) | \(c.lambda)) = \(got), want \(c.p)")
            #expect(Self.close(Self.reference(c.k, mean: c.lambda), c.p, relative: 1e-10), "the reference itself")
        }
    }

    @Test("matches a direct tail sum for k in 0…60", arguments: PoissonTailTests.means)
    func matchesDirectSum(lambda: Double) {
        for k in 0...60 {
            let got = PoissonTail.upper(k, mean: lambda)
            let want = Self.reference(k, mean: lambda)
            #expect(Self.close(got, want), "P(X >= \(k) | \(lambda)) = \(got), direct sum \(want)")
        }
    }

    @Test("is a probability, non-increasing in k")
    func monotoneInK() {
        for lambda in Self.means + [0.2, 1, 7.5, 45, 250] {
            var previous = 1.0
            for k in 0...400 {
                let p = PoissonTail.upper(k, mean: lambda)
                #expect(p >= 0 && p <= 1, "P(X >= \(k) | \(lambda)) = \(p)")
                // A 1e-12 relative slack for the switch between the two summation branches.
                #expect(p <= previous * (1 + 1e-12), "P(X >= \(k) | \(lambda)) = \(p) > P(X >= \(k - 1)) = \(previous)")
                previous = p
            }
        }
    }

    @Test("is non-decreasing in λ")
    func monotoneInMean() {
        let grid = (0..<200).map { 0.01 * pow(1.05, Double($0)) }  // 0.01 … ~170
        for k in [1, 2, 3, 5, 8, 13, 21, 40, 80, 160] {
            var previous = 0.0
            for lambda in grid {
                let p = PoissonTail.upper(k, mean: lambda)
                #expect(p >= previous * (1 - 1e-12), "P(X >= \(k) | \(lambda)) = \(p) < \(previous) at a smaller mean")
                previous = p
            }
        }
    }
}
