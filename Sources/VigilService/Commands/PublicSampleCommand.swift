import ArgumentParser
import Foundation
import VigilCore

/// `vigil public sample`: raw draws of the exact discrete Laplace sampler from getrandom, one per
/// line, for the OpenDP comparison (tools/public/test_sampler.py). Never part of a release.
struct PublicSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Draw discrete Laplace noise (for independent checks).")

    @Option(help: "Scale as N or N/D: P[x] ∝ exp(-|x| / scale).")
    var scale: String

    @Option(help: "Number of draws.")
    var count: Int = 100_000

    func run() throws {
        let parts = scale.split(separator: "/").map { UInt64($0) }
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0 != nil }),
            let dist = ExactDiscreteLaplace(scaleNumerator: parts[0]!, denominator: parts.count == 2 ? parts[1]! : 1)
        else {
            throw ValidationError("--scale must be N or N/D with positive integers up to 2^31")
        }
        var random = SystemRandomBits()
        var text = ""
        text.reserveCapacity(8 * count)
        for _ in 0..<count {
            text += String(dist.sample(using: &random))
            text += "\n"
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
