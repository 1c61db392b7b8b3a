/// The first stage of a scaled-out city (docs/SCALE-OUT.md): reads the city's incidents in one
/// order and sends each to the partition that owns its tile, copies to the owners of the tiles
/// within the scan's radius (halo), and to every partition the two things no partition can know
/// alone: when a new hour begins in the city, and the city's occurrence counts.
///
/// Why one router per city: it is the city's single order. Lateness, the hour ticks and the city
/// profile are decided here exactly as one engine decides them over the same order, so each
/// partition's alerts are one engine's, without partitions waiting for each other.
///
/// Pure and deterministic: no I/O, no wall clock.
public struct TileRouter: Sendable {
    public let grid: MetricGrid
    public let partitions: Int
    /// Tiles are `tileCells` × `tileCells` grid cells (8: 2 km at 250 m).
    public let tileCells: Int32
    /// Halo reach in cells: an incident is copied to every tile with a cell within this many cells
    /// of its own in x and y (the scan's largest radius).
    public let haloCells: Int32
    public private(set) var watermark: Watermark
    private let repeatWindowMilliseconds: Int64
    private var sequence: Int64 = 0
    /// The smallest sequence the next routed incident may have.
    public var nextSequence: Int64 { sequence }
    private var checkedHour: Int64?
    private var seen = LastOccurrenceTable()
    private var sinceExpiry = 0
    /// Occurrences not yet sent, per week and layer name (nil: all categories).
    private var pending: [PendingKey: [UInt32]] = [:]
    private var pendingOldestWeek = Int64.max
    private static let emptyWeek = [UInt32](repeating: 0, count: Int(ClusterTime.hoursPerWeek))

    private struct PendingKey: Hashable, Comparable {
        var week: Int64
        var layerName: String?
        static func < (a: PendingKey, b: PendingKey) -> Bool {
            (a.week, a.layerName == nil ? 0 : 1, a.layerName ?? "") < (b.week, b.layerName == nil ? 0 : 1, b.layerName ?? "")
        }
    }

    /// The decision for one incident.
    public enum Decision: Sendable, Equatable {
        /// Behind the city's watermark: the incident takes the side path (dead letters), as on one engine.
        case late(watermark: Timestamp)
        /// Messages for partitions, in order: `(partition, message)`.
        case routed([(partition: Int, message: RoutedMessage)])

        public static func == (a: Decision, b: Decision) -> Bool {
            switch (a, b) {
            case (.late(let x), .late(let y)): return x == y
            case (.routed(let x), .routed(let y)): return x.map(\.partition) == y.map(\.partition) && x.map(\.message) == y.map(\.message)
            default: return false
            }
        }
    }

    public init(
        grid: MetricGrid, partitions: Int, tileCells: Int32 = 8, haloCells: Int32, allowedLateness: EventDuration, repeatWindowHours: Int
    ) {
        precondition(partitions >= 1 && tileCells >= 1 && haloCells >= 0)
        self.grid = grid
        self.partitions = partitions
        self.tileCells = tileCells
        self.haloCells = haloCells
        watermark = Watermark(allowedLateness: allowedLateness)
        repeatWindowMilliseconds = max(Int64(repeatWindowHours) * ClusterTime.hourMilliseconds, 1)
    }

    /// The partition that owns `cell`'s tile: a stable hash of the tile, so neighbouring tiles
    /// spread over the partitions.
    public func owner(of cell: GridCell) -> Int {
        var hash = StableHash()
        hash.combine(Int64(floorDivide(Int64(cell.x), Int64(tileCells))))
        hash.combine(Int64(floorDivide(Int64(cell.y), Int64(tileCells))))
        return Int(hash.value % UInt64(partitions))
    }

    /// A mark of the last incident routed, for every partition (nil before the first): the edge
    /// sends one now and then (about once a second), so findings are released without waiting for
    /// the next hour; when does not change any alert.
    public func mark() -> [(partition: Int, message: RoutedMessage)]? {
        guard sequence > 0 else { return nil }
        return (0..<partitions).map { ($0, RoutedMessage.mark(sequence: sequence - 1)) }
    }

    /// Routes a valid `incident`. `sequence`: its place in the city's order, above every earlier
    /// one (the router stage passes the input offset, so a router rebuilt from a retained suffix
    /// of its input numbers incidents as the one before it did); nil numbers them 0, 1, 2, ...
    public mutating func route(_ incident: Incident, sequence given: Int64? = nil) -> Decision {
        if watermark.isLate(incident.eventTime), let current = watermark.current { return .late(watermark: current) }
        watermark.observe(incident.eventTime)
        let seq = given ?? sequence
        precondition(seq >= sequence, "sequences must increase: \(seq) after \(sequence - 1)")
        sequence = seq + 1
        let hour = ClusterTime.hour(of: incident.eventTime)
        let week = ClusterTime.week(ofHour: hour)
        var out: [(partition: Int, message: RoutedMessage)] = []
        // Every evaluation this incident or the tick before it causes reads weeks before `week`.
        if pendingOldestWeek < week {
            for (index, occurrences) in flush(before: week).enumerated() {
                for p in 0..<partitions { out.append((p, .cityOccurrences(sequence: seq, index: index, occurrences))) }
            }
        }
        if let checked = checkedHour {
            if hour > checked {
                checkedHour = hour
                for p in 0..<partitions { out.append((p, .tick(sequence: seq, hour: hour))) }
            }
        } else {
            checkedHour = hour
        }
        count(incident, hour: hour, week: week)
        let cell = grid.cell(latitude: incident.latitude, longitude: incident.longitude)
        let own = owner(of: cell)
        out.append((own, .incident(sequence: seq, halo: false)))
        for p in haloPartitions(of: cell, owner: own) { out.append((p, .incident(sequence: seq, halo: true))) }
        return .routed(out)
    }

    /// The owners, other than `own`, of the tiles with a cell within `haloCells` of `cell`, in
    /// ascending order.
    public func haloPartitions(of cell: GridCell, owner own: Int) -> [Int] {
        guard haloCells > 0, partitions > 1 else { return [] }
        let t = Int64(tileCells)
        let x0 = floorDivide(Int64(cell.x) - Int64(haloCells), t)
        let x1 = floorDivide(Int64(cell.x) + Int64(haloCells), t)
        let y0 = floorDivide(Int64(cell.y) - Int64(haloCells), t)
        let y1 = floorDivide(Int64(cell.y) + Int64(haloCells), t)
        var found: [Int] = []
        for tx in x0...x1 {
            for ty in y0...y1 {
                let p = owner(of: GridCell(x: Int32(tx * t), y: Int32(ty * t)))
                if p != own, !found.contains(p) { found.append(p) }
            }
        }
        return found.sorted()
    }

    /// The scan's occurrence rule, as one engine applies it: one occurrence per layer and point
    /// within the repeat window of the last one counted there.
    private mutating func count(_ incident: Incident, hour: Int64, week: Int64) {
        let ms = incident.eventTime.milliseconds
        var point = StableHash()
        point.combine(Int64(bitPattern: incident.latitude.bitPattern))
        point.combine(Int64(bitPattern: incident.longitude.bitPattern))
        // All categories, then the incident's own (no array or string built per incident).
        for index in 0..<2 {
            var key = point
            key.combine(Int64(index))
            if index == 1 { key.combine(incident.category) }
            guard seen.record(key.value, ms, unlessWithin: repeatWindowMilliseconds) else { continue }
            let k = PendingKey(week: week, layerName: index == 0 ? nil : incident.category)
            pending[k, default: Self.emptyWeek][ClusterTime.hourOfWeek(hour)] &+= 1
            pendingOldestWeek = min(pendingOldestWeek, week)
        }
        sinceExpiry += 1
        if sinceExpiry >= 4096, let newest = watermark.maxEventTime {
            sinceExpiry = 0
            seen.removeAll(before: newest.milliseconds - watermark.allowedLateness.milliseconds - repeatWindowMilliseconds - 1)
        }
    }

    /// The pending occurrences of weeks before `week`, oldest week first, all categories first.
    private mutating func flush(before week: Int64) -> [CityOccurrences] {
        let due = pending.keys.filter { $0.week < week }.sorted()
        var out: [CityOccurrences] = []
        for k in due {
            out.append(CityOccurrences(layerName: k.layerName, week: k.week, counts: pending.removeValue(forKey: k)!))
        }
        pendingOldestWeek = pending.keys.map(\.week).min() ?? .max
        return out
    }
}
