import VigilCore

extension PublicSettings {
    /// What `check-config` prints about the public feed: whether it is on, and the guarantee.
    func guaranteeText() -> String {
        var lines = [
            "# public feed: "
                + (topic.map { "on, topic \($0)" } ?? "off (topics.public is empty); `vigil public` exports use these settings")
        ]
        lines.append(
            "# domain: \(neighbourhoods.count) neighbourhoods × \(categories.count) categories; \(Int(cellSizeMeters)) m cells of the grid box × \(categories.count) categories"
        )
        lines.append(
            "# schedule: daily and weekly (UTC, weeks from Monday) from \(String(start.description.prefix(10))), whether or not counts change"
        )
        lines += releaseConfiguration().guarantee().map { "# " + $0 }
        return lines.joined(separator: "\n")
    }
}
