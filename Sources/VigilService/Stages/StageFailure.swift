/// Why a stage of the tile layout stopped (a delivery given up on, an input topic it cannot read in
/// one order): the daemon exits non-zero with it, and a restart re-reads from the last commit.
struct StageFailure: Error, CustomStringConvertible {
    var description: String
}
