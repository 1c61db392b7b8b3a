/// `[scale_out]`: the exact tile layout of the emerging-cluster scan (docs/SCALE-OUT.md).
///
/// Why a layout of its own: a partition keyed by neighbourhood sees only part of the discs its
/// cylinders need and guesses the city's profile, so N partitions do not say what one engine says.
/// With `enabled`, `vigil run` adds three stages to the daemon: a router that reads the city's one
/// input partition in order and sends each incident to the scan partition owning its tile (copies to
/// the tiles within the scan's radius), the scans (one per routed partition, shared by the instances
/// of the group), and one lifecycle that merges their findings in the city's order and publishes the
/// cluster alerts. The other rules keep running in the main pipeline, with the scan off there.
///
/// The shipped config turns it on (`Config/vigil.toml`): the daemon a city deploys then says what
/// `vigil replay` says. The built-in default, for a config without the key, stays off: a topic keyed
/// by region over several partitions, each partition's engine running every rule, is the other
/// supported layout (faster, not exact across partitions).
struct ScaleOutSettings: Sendable, Equatable {
    var enabled = false
    /// `enabled` and the emerging-cluster scan on: the three stages run, and the input topic must
    /// have one partition. `enabled` with the scan off leaves this false.
    var runs = false
    /// Scan partitions: partitions of the routed topic, shared by the instances of the group.
    var partitions = 6
    /// A tile is `tile_cells` × `tile_cells` grid cells (16: 4 km at 250 m).
    var tileCells = 16
    /// Scan consumers in this instance, each a member of the scan group on a thread of its own, so
    /// that one instance uses its cores; "auto": one per CPU (at most `partitions`).
    var scanThreads = min(6, VigilConfiguration.Pipeline.onlineCPUs)
    /// The Vigil-owned topics between the stages: router → scans, scans → lifecycle.
    var routedTopic = "vigil.routed"
    var findingsTopic = "vigil.findings"

    static func read(_ r: inout ConfigReader, clustersOn: Bool) throws(ConfigurationError) -> ScaleOutSettings {
        var s = ScaleOutSettings()
        s.enabled = try r.bool("scale_out.enabled", default: s.enabled)
        s.partitions = try r.int("scale_out.partitions", default: s.partitions)
        try VigilConfiguration.require(
            (1...1024).contains(s.partitions), "scale_out.partitions", "must be between 1 and 1024",
            "the routed topic's partition count: about the cores of all the group's instances, e.g. 6")
        s.tileCells = try r.int("scale_out.tile_cells", default: s.tileCells)
        try VigilConfiguration.require(
            (1...4096).contains(s.tileCells), "scale_out.tile_cells", "must be between 1 and 4096",
            "tiles of 4-8 km keep halo copies under 2 per incident: 16 or 32 at 250 m cells (docs/SCALE-OUT.md)")
        let automatic = min(s.partitions, VigilConfiguration.Pipeline.onlineCPUs)
        s.scanThreads = try r.int("scale_out.scan_threads", default: automatic, word: "auto", meaning: automatic)
        try VigilConfiguration.require(
            (1...s.partitions).contains(s.scanThreads), "scale_out.scan_threads", "must be between 1 and scale_out.partitions, or \"auto\"",
            "\"auto\" runs one scan per CPU; more scans than partitions would idle")
        s.routedTopic = try r.string("scale_out.routed_topic", default: s.routedTopic)
        s.findingsTopic = try r.string("scale_out.findings_topic", default: s.findingsTopic)
        for (key, topic) in [("scale_out.routed_topic", s.routedTopic), ("scale_out.findings_topic", s.findingsTopic)] {
            try VigilConfiguration.require(
                VigilConfiguration.isValidTopic(topic), key, "'\(topic)' is not a valid topic name",
                "letters, digits, '.', '_' and '-' only")
        }
        try VigilConfiguration.require(
            s.routedTopic != s.findingsTopic, "scale_out.findings_topic", "is the same topic as scale_out.routed_topic",
            "give each stage's output a topic of its own")
        // With the scan off there is nothing to scale out: the layout does not run (`runs`), and
        // every rule runs per input partition, as without `enabled`. Not an error, so that turning
        // the scan off (a benchmark, an analyst's replay) needs one key, not two.
        s.runs = s.enabled && clustersOn
        return s
    }
}
