/// A failure to persist or restore the public ledger: release must not go on without it.
struct PublicStateError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
