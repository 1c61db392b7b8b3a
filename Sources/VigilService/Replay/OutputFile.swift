import Foundation

/// A buffered output file (or standard output) for the offline commands: `replay`, `features`,
/// `score` and `public` write line by line through it.
final class OutputFile {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private let isStdout: Bool

    /// nil or "-": standard output.
    init(path: String?) throws {
        if let path, path != "-" {
            guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
                throw ReplayError("cannot write '\(path)'")
            }
            handle = h
            isStdout = false
        } else {
            handle = FileHandle.standardOutput
            isStdout = true
        }
        buffer.reserveCapacity(1 << 16)
    }

    func writeLine(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    func close() {
        flush()
        if !isStdout { try? handle.close() }
    }
}
