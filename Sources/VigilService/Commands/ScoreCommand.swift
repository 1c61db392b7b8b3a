import ArgumentParser
import Foundation
import VigilCore

/// `vigil score`: scores a feature CSV (from `vigil features`) with a model file, using the same
/// scorer as the daemon, so its output can be compared with the training library's.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score the rows of a feature CSV with a model file; write one probability per line.",
        discussion:
            "Columns are matched by the model's feature names; other columns are ignored. Empty or \"nan\" cells are missing values.")

    @Option(name: .shortAndLong, help: "Model file (XGBoost JSON or vigil-logistic/1).")
    var model: String

    @Option(name: .shortAndLong, help: "Feature CSV with a header row.")
    var input: String

    @Option(name: .shortAndLong, help: "Write scores here (default: standard output).")
    var output: String?

    @Flag(
        help: "After each score, the per-feature contributions to the log-odds that alerts report (comma-separated, model feature order).")
    var contributions = false

    func run() throws {
        let m: RiskModel
        do {
            m = try RiskModel.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: model))))
        } catch {
            FileHandle.standardError.write(Data("vigil score: \(model): \(error)\n".utf8))
            throw ExitCode(65)
        }
        let text = try String(contentsOfFile: input, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)[...]
        guard let header = lines.popFirst() else { throw ValidationError("\(input) is empty") }
        let columns = Self.fields(header)
        var index: [Int] = []
        for name in m.featureNames {
            guard let c = columns.firstIndex(of: name) else {
                throw ValidationError("\(input) has no column '\(name)' (a feature of the model)")
            }
            index.append(c)
        }
        let out = try OutputFile(path: output)
        var x = [Double](repeating: .nan, count: index.count)
        var c: [Double] = []
        for (row, line) in lines.enumerated() {
            let f = Self.fields(line)
            guard f.count == columns.count else {
                throw ValidationError("\(input) row \(row + 1): \(f.count) fields, header has \(columns.count)")
            }
            for (k, c) in index.enumerated() {
                let cell = f[c]
                if cell.isEmpty || cell == "nan" || cell == "NaN" {
                    x[k] = .nan
                    continue
                }
                guard let v = Double(cell) else { throw ValidationError("\(input) row \(row + 1): '\(cell)' is not a number") }
                x[k] = v
            }
            var line = m.probability(x).description
            if contributions {
                m.contributions(x, into: &c)
                for v in c { line += "," + v.description }
            }
            out.writeLine(Array(line.utf8))
        }
        out.close()
    }

    /// Splits a CSV line (double-quoted fields may hold commas).
    static func fields(_ line: Substring) -> [String] {
        var out: [String] = []
        var current = ""
        var quoted = false
        var chars = line.makeIterator()
        while let c = chars.next() {
            if quoted {
                if c == "\"" { quoted = false } else { current.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                out.append(current)
                current = ""
            } else if c != "\r" {
                current.append(c)
            }
        }
        out.append(current)
        return out
    }
}
