/// The open-data release as a value-type state machine: incidents are counted privately per
/// stream and period; when the watermark passes the end of a scheduled period, `advance` closes it
/// for every key of the fixed domain through that key's binary tree and returns the releases to
/// publish. No I/O and no clock: randomness comes in through `RandomBitSource`, time from events.
///
/// A restart restores `State` (the ledger, the trees, where each stream stands) and replays the
/// input: periods already released are never released again, so nothing is spent twice.
public struct PublicReleaser: Sendable {
    public let configuration: PublicReleaseConfiguration
    public let domain: PublicDomain
    public private(set) var state: State
    /// Incidents whose period was already released (not counted; the release is final).
    public private(set) var lateIncidents = 0
    /// Private counts of periods not yet released, per stream: period index → count per key.
    private var pending: [[Int64: [Int32]]]

    /// Everything that must survive a restart. Holds exact partial sums: private, never published.
    public struct State: Sendable, Equatable, Codable {
        public var accountant: PrivacyAccountant
        public var streams: [StreamState]
    }

    public struct StreamState: Sendable, Equatable, Codable {
        public var name: String
        /// The next period index to release.
        public var nextPeriod: Int64
        /// ε and horizon the stream was started with.
        public var epsilonMicros: Int64
        public var horizon: Int
        /// The epoch the trees belong to (-1: none started).
        public var epoch: Int = -1
        /// One tree per key of the domain, in key order.
        public var trees: [BinaryTreeCounter] = []
        /// Release stopped for good: the budget is exhausted.
        public var stopped = false
    }

    public enum Action: Sendable, Equatable {
        /// Persist `state` first (a charge was made or trees advanced), then publish.
        case publish(PublicRelease)
        /// The stream stops: starting its next epoch would exceed the lifetime budget.
        case exhausted(stream: String, neededMicros: Int64, remainingMicros: Int64)
    }

    public init(configuration: PublicReleaseConfiguration, domain: PublicDomain, restoring saved: State? = nil) {
        self.configuration = configuration
        self.domain = domain
        // A saved ledger is never dropped: its charges stay, and each configured stream resumes
        // from its saved position (a stream new to the configuration starts at its first period).
        let accountant =
            saved.map { PrivacyAccountant(totalMicros: configuration.totalMicros, keeping: $0.accountant) }
            ?? PrivacyAccountant(totalMicros: configuration.totalMicros)
        // A stream whose ε or horizon changed mid-way stops: its current epoch was charged and
        // noised under the old values, and restarting it would release its periods twice.
        state = State(
            accountant: accountant,
            streams: configuration.streams.map { stream in
                guard var resumed = saved?.streams.first(where: { $0.name == stream.name }) else {
                    return StreamState(
                        name: stream.name, nextPeriod: stream.schedule.firstPeriod, epsilonMicros: stream.epsilonMicros,
                        horizon: stream.schedule.horizon)
                }
                if resumed.epsilonMicros != stream.epsilonMicros || resumed.horizon != stream.schedule.horizon { resumed.stopped = true }
                return resumed
            })
        pending = Array(repeating: [:], count: configuration.streams.count)
    }

    /// Counts one accepted incident into every stream (one key each, or none outside the domain).
    public mutating func record(_ incident: Incident) {
        for (i, stream) in configuration.streams.enumerated() {
            let period = stream.schedule.index(of: incident.eventTime)
            guard !state.streams[i].stopped else { continue }
            guard period >= state.streams[i].nextPeriod else {
                if period >= stream.schedule.firstPeriod { lateIncidents += 1 }
                continue
            }
            guard let key = domain.key(stream.family, of: incident) else { continue }
            pending[i][period, default: Array(repeating: 0, count: domain.keyCount(stream.family))][key] += 1
        }
    }

    /// Releases every scheduled period that ends at or before `watermark`, in order, for every stream.
    public mutating func advance<R: RandomBitSource>(to watermark: Timestamp, using random: inout R) -> [Action] {
        var actions: [Action] = []
        for i in configuration.streams.indices {
            let stream = configuration.streams[i]
            while !state.streams[i].stopped, stream.schedule.end(of: state.streams[i].nextPeriod) <= watermark {
                let period = state.streams[i].nextPeriod
                guard let position = stream.schedule.position(of: period) else { break }
                if position.epoch != state.streams[i].epoch {
                    switch state.accountant.authorize(stream: stream.name, epoch: position.epoch, costMicros: stream.epsilonMicros) {
                    case .exhausted(let needed, let remaining):
                        state.streams[i].stopped = true
                        actions.append(.exhausted(stream: stream.name, neededMicros: needed, remainingMicros: remaining))
                        continue
                    case .charged, .alreadyCharged:
                        state.streams[i].epoch = position.epoch
                        state.streams[i].trees = Array(
                            repeating: BinaryTreeCounter(horizon: stream.schedule.horizon),
                            count: domain.keyCount(stream.family))
                    }
                }
                let counts = pending[i].removeValue(forKey: period)
                actions.append(.publish(release(stream: i, period: period, step: position.step, counts: counts, using: &random)))
                state.streams[i].nextPeriod = period + 1
            }
        }
        return actions
    }

    private mutating func release<R: RandomBitSource>(stream i: Int, period: Int64, step: Int, counts: [Int32]?, using random: inout R)
        -> PublicRelease
    {
        let stream = configuration.streams[i]
        let noise = stream.noise
        var figures: [PublicRelease.Figure] = []
        figures.reserveCapacity(state.streams[i].trees.count)
        for key in state.streams[i].trees.indices {
            let exact = Int64(counts?[key] ?? 0)
            let out = state.streams[i].trees[key].release(count: exact, noise: noise, using: &random)!
            let label = domain.label(stream.family, key: key)
            var figure = PublicRelease.Figure(area: label.area, category: label.category, count: out.count, runningTotal: out.runningTotal)
            if configuration.nonNegative {
                figure.count = max(0, figure.count)
                figure.runningTotal = max(0, figure.runningTotal)
            }
            figures.append(figure)
        }
        var totals: [(area: String, count: Int64, runningTotal: Int64)]?
        if configuration.areaTotals {
            totals = []
            let per = domain.categories.count
            var start = 0
            while start < figures.count {
                let slice = figures[start..<min(start + per, figures.count)]
                totals!.append((slice.first!.area, slice.reduce(0) { $0 + $1.count }, slice.reduce(0) { $0 + $1.runningTotal }))
                start += per
            }
        }
        let nodes = Double(step.nonzeroBitCount)
        return PublicRelease(
            family: stream.family, period: stream.schedule.period,
            periodStart: String(stream.schedule.start(of: period).description.prefix(10)),
            periodEnd: stream.schedule.end(of: period),
            epoch: state.streams[i].epoch, step: step,
            epsilon: PrivacyAccountant.format(micros: stream.epsilonMicros),
            noiseScale: noise.scale, countInterval95: noise.halfWidth95,
            // One node: the exact interval of a single draw; more: normal approximation to their sum.
            runningTotalInterval95: nodes == 1 ? noise.halfWidth95 : Int64((1.959964 * (nodes * noise.variance).squareRoot()).rounded(.up)),
            nonNegative: configuration.nonNegative, figures: figures, areaTotals: totals)
    }
}
