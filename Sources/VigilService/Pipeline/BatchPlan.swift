import VigilCore
import VigilKafka

/// One poll batch, planned for the partitions' engines (on worker threads, or on the loop's).
///
/// The loop thread routes every record in arrival order, as the serial path does, and adds what
/// it decided here: an incident for its partition's engine, or another step (a dead letter) whose
/// place among the outputs must not move. The engines then see only their own partition's
/// incidents, each lane in arrival order (`lanes`), and the outputs are applied by walking `steps`
/// in arrival order, each incident step finding its engine's result at `(lane, index)`. So every
/// output is sent in exactly the order the serial path would send it, across partitions too.
///
/// A value with no I/O; `Step` is whatever the caller needs to apply a step later (the borrowed
/// record, a dead letter), and never leaves the loop thread: only `lanes` go to the workers.
struct BatchPlan<Step> {
    /// The incidents of one partition, in arrival order.
    struct Lane: Equatable {
        let partition: TopicPartition
        var incidents: [Incident] = []
    }

    /// Where an incident step's engine result will be: `lanes[lane]`'s result number `index`.
    struct LanePosition: Equatable {
        let lane: Int
        let index: Int
    }

    private(set) var lanes: [Lane] = []
    /// Each partition's first input offset in this batch (incident or other step), in the order
    /// the partitions first appear: where a pipelined batch holds each partition's commit.
    private(set) var firstInputs: [(partition: TopicPartition, offset: Int64)] = []
    /// Every step in arrival order; incident steps carry their lane position.
    private(set) var steps: [(step: Step, position: LanePosition?)] = []
    private var laneOf: [TopicPartition: Int] = [:]
    /// The lane of the last incident added: records come in runs of one partition (a poll takes
    /// each partition queue's share in one piece), so this spares hashing the topic's name for
    /// almost every record.
    private var lastLane: Int?
    /// Emptied incident arrays of earlier batches, with their capacity: a new lane takes one, so
    /// a batch's lanes do not grow from nothing by doubling every time.
    private var spare: [[Incident]] = []

    var isEmpty: Bool { steps.isEmpty }

    /// Adds `incident` (input `offset`) of `partition`, to be processed by that partition's
    /// engine, then applied as `step`.
    mutating func add(_ incident: consuming Incident, of partition: TopicPartition, offset: Int64, step: Step) {
        let lane: Int
        if let last = lastLane, lanes[last].partition == partition {
            lane = last
        } else if let known = laneOf[partition] {
            lane = known
        } else {
            lane = lanes.count
            laneOf[partition] = lane
            lanes.append(Lane(partition: partition, incidents: spare.popLast() ?? []))
            noteInput(partition, offset)
        }
        lastLane = lane
        steps.append((step, LanePosition(lane: lane, index: lanes[lane].incidents.count)))
        lanes[lane].incidents.append(incident)
    }

    /// Adds a step that needs no engine (a dead letter of input `offset` of `partition`),
    /// applied in its place among the others.
    mutating func add(_ step: Step, of partition: TopicPartition, offset: Int64) {
        steps.append((step, nil))
        noteInput(partition, offset)
    }

    /// Records `partition`'s first input unless it has one (a new lane, or a rare other step).
    private mutating func noteInput(_ partition: TopicPartition, _ offset: Int64) {
        guard !firstInputs.contains(where: { $0.partition == partition }) else { return }
        firstInputs.append((partition, offset))
    }

    /// Moves every lane's incidents out, in lane order (for the partitions' jobs, which then own
    /// them alone: an engine reads each in place, see `IncidentEngine.process(inPlace:)`). The
    /// lanes keep their partitions; give the arrays back with `recycle` once applied.
    mutating func takeIncidents() -> [[Incident]] {
        var taken: [[Incident]] = []
        taken.reserveCapacity(lanes.count)
        for i in lanes.indices {
            var incidents: [Incident] = []
            swap(&incidents, &lanes[i].incidents)
            taken.append(incidents)
        }
        return taken
    }

    /// Keeps an incident array (emptied here, its capacity kept) for a later batch's lane.
    mutating func recycle(_ incidents: consuming [Incident]) {
        guard spare.count < Self.maxSpare else { return }
        var incidents = incidents
        incidents.removeAll(keepingCapacity: true)
        spare.append(incidents)
    }

    /// Empties the plan for the next batch, keeping the storage (the lanes' arrays as spares).
    mutating func removeAll() {
        while var lane = lanes.popLast() {
            guard spare.count < Self.maxSpare else { break }
            lane.incidents.removeAll(keepingCapacity: true)
            spare.append(lane.incidents)
        }
        lanes.removeAll(keepingCapacity: true)
        steps.removeAll(keepingCapacity: true)
        laneOf.removeAll(keepingCapacity: true)
        firstInputs.removeAll(keepingCapacity: true)
        lastLane = nil
    }

    /// Spare arrays kept at most (one per partition a batch can hold, for any usual assignment).
    static var maxSpare: Int { 64 }
}
