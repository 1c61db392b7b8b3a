import Foundation
import VigilCore

/// The releaser's ledger and trees on disk: written to a temporary file, fsynced and renamed over
/// the old one, so a crash leaves either the old or the new state, never half of one. Written
/// before a release is published: a crash in between loses that release rather than spending twice.
/// The file holds exact partial sums (private): keep it with the daemon's other private state.
enum PublicStateFile {
    static func load(path: String) throws -> PublicReleaser.State? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(PublicReleaser.State.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw PublicStateError(
                "cannot read the public release ledger '\(path)': \(error). Refusing to start over (that would spend the budget twice); restore the file or move it aside deliberately"
            )
        }
    }

    static func save(_ state: PublicReleaser.State, path: String) throws {
        let data = try JSONEncoder().encode(state)
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: temporary)
        else {
            throw PublicStateError("cannot write the public release ledger '\(temporary)'")
        }
        try handle.synchronize()
        try handle.close()
        guard rename(temporary, path) == 0 else { throw PublicStateError("cannot rename '\(temporary)' to '\(path)' (errno \(errno))") }
    }
}
