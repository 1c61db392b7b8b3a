/// What the open-data feed releases and at what privacy cost: read from `[public]` by the service,
/// printed by `check-config` as the guarantee it gives.
public struct PublicReleaseConfiguration: Sendable, Equatable {
    /// One released stream: a key family at one period length, with its own tree per epoch.
    public struct Stream: Sendable, Equatable {
        public var family: PublicDomain.Family
        public var schedule: ReleaseSchedule
        /// ε of the whole stream per epoch (all its releases together), micro-ε.
        public var epsilonMicros: Int64

        public init(family: PublicDomain.Family, schedule: ReleaseSchedule, epsilonMicros: Int64) {
            self.family = family
            self.schedule = schedule
            self.epsilonMicros = epsilonMicros
        }

        public var name: String { "\(family.rawValue)/\(schedule.period.rawValue)" }

        /// Discrete Laplace noise of scale levels / ε in every tree node.
        public var noise: ExactDiscreteLaplace {
            let levels = UInt64(BinaryTreeCounter.levels(forHorizon: schedule.horizon))
            return ExactDiscreteLaplace(scaleNumerator: levels * 1_000_000, denominator: UInt64(epsilonMicros))!
        }
    }

    public var streams: [Stream]
    /// The lifetime budget the accountant enforces, micro-ε.
    public var totalMicros: Int64
    /// Raise negative figures to zero.
    public var nonNegative: Bool
    /// Publish each area's total as the sum of its category figures.
    public var areaTotals: Bool

    public init(streams: [Stream], totalMicros: Int64, nonNegative: Bool = true, areaTotals: Bool = true) {
        self.streams = streams
        self.totalMicros = totalMicros
        self.nonNegative = nonNegative
        self.areaTotals = areaTotals
    }

    /// ε for one incident: it is counted once in every stream (in one epoch of each).
    public var perIncidentMicros: Int64 { streams.reduce(0) { $0 + $1.epsilonMicros } }

    /// The guarantee in plain words, for `check-config` and the docs.
    public func guarantee() -> [String] {
        var lines = ["public release: event-level ε-differential privacy (the unit is one incident)"]
        for s in streams {
            let levels = BinaryTreeCounter.levels(forHorizon: s.schedule.horizon)
            lines.append(
                "  \(s.name): ε = \(PrivacyAccountant.format(micros: s.epsilonMicros)) per epoch of \(s.schedule.horizon) \(s.schedule.period.rawValue)s "
                    + "(binary tree, \(levels) levels, discrete Laplace scale \(String(format3(s.noise.scale))) per node, "
                    + "count 95% ± \(s.noise.halfWidth95))")
        }
        lines.append(
            "  one incident changes at most one count of each release; all releases about it together: ε = \(PrivacyAccountant.format(micros: perIncidentMicros))"
        )
        lines.append(
            "  lifetime budget ε = \(PrivacyAccountant.format(micros: totalMicros)); release stops when starting another epoch would exceed it"
        )
        return lines
    }

    private func format3(_ x: Double) -> String {
        let scaled = (x * 1000).rounded() / 1000
        return String(scaled)
    }
}
