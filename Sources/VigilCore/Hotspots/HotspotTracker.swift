/// Online hotspots: at each evaluation, Getis-Ord Gi* over the grid's cells marks hot cells,
/// 8-connected hot cells form hotspots, and hotspots are matched to the previous evaluation's by
/// cell overlap so they keep their ids while they grow, shrink, merge and split.
///
/// Matching: (new component, previous hotspot) pairs are taken in order of overlap (largest
/// first, ties by id); each side is used once. A component without a match is opened (noting the
/// hotspot it split from, if any); a previous hotspot without a match is closed (noting the one it
/// merged into, if any); a match that gained cells grew. Shrinking is tracked without an alert.
struct HotspotTracker: Sendable {
    static let ruleName = "gi_star_hotspots"

    var configuration: HotspotConfiguration
    let columns: Int32
    let rows: Int32
    /// The hotspots the next evaluation matches against (see `PreviousHotspots`).
    private var previousHotspots = PreviousHotspots()
    private(set) var snapshot: HotspotSnapshot?
    var nextEvaluation: Int64?
    private var scratch = GiStarScratch()
    /// The hot cells' places and components when the caller keeps no index of its own (no model):
    /// an evaluation uses an index as its cell → component map either way.
    private var ownIndex: HotCellIndex? = HotCellIndex()
    /// Scratch: each hot cell's component, from the labelling (see `GiStar.components`).
    private var componentOfCell: [Int32] = []
    /// The window's per-cell counts, kept up to date by `record` (see `HotspotCellCounts`).
    private(set) var cellCounts: HotspotCellCounts
    /// The hot cells of the last evaluation from `cellCounts`, updated from the cells that changed.
    private(set) var hotSet: GiStarHotSet

    init(configuration: HotspotConfiguration, grid: MetricGrid) {
        self.configuration = configuration
        let b = grid.bounds
        let (width, height) = grid.project(latitude: b.north, longitude: b.east)
        columns = Int32((width / grid.cellSize).rounded(.up))
        rows = Int32((height / grid.cellSize).rounded(.up))
        cellCounts = HotspotCellCounts(spec: configuration.window, columns: columns, rows: rows)
        hotSet = GiStarHotSet(columns: Int(columns), rows: Int(rows))
    }

    /// Counts one incident in `cell` for later evaluations.
    mutating func record(_ cell: GridCell, at time: Timestamp) {
        cellCounts.add(cell, at: time)
    }

    /// Evaluates at `time` over the window ending at `endBucket`, from the counts given to
    /// `record`; nil when those cannot describe that window (a move backwards in event time),
    /// and the caller passes the counts to `evaluate(at:endBucket:counts:…)` instead. A non-nil
    /// `index` is left holding this evaluation's hotspot cells (as `HotCellIndex(snapshot)`).
    /// Alerts of kinds not in `publishing` (nil: every kind) are not built: the hotspots' state
    /// (what was announced) moves on exactly as if they were.
    mutating func evaluateRecorded(
        at time: Timestamp, endBucket: Int64, grid: MetricGrid, index: inout HotCellIndex?, publishing: Set<Alert.Kind>? = nil,
        categories: @escaping ([GridCell]) -> [CategoryCount]
    ) -> [Alert]? {
        guard cellCounts.advance(to: endBucket) else { return nil }
        let result = hotSet.evaluate(&cellCounts, zThreshold: configuration.zThreshold, minimumLocalCount: configuration.minimumLocalCount)
        return evaluate(
            at: time, endBucket: endBucket, result: result, grid: grid, index: &index, publishing: publishing, categories: categories)
    }

    /// Evaluates at `time` with per-cell counts of the window ending at `endBucket`.
    mutating func evaluate(
        at time: Timestamp, endBucket: Int64, counts: [(GridCell, Int)], grid: MetricGrid, index: inout HotCellIndex?,
        publishing: Set<Alert.Kind>? = nil, categories: @escaping ([GridCell]) -> [CategoryCount]
    ) -> [Alert] {
        let listed = counts.filter { $0.0.x >= 0 && $0.0.y >= 0 && $0.0.x < columns && $0.0.y < rows }
        let result = GiStar.compute(
            counts: listed, columns: columns, rows: rows, zThreshold: configuration.zThreshold,
            minimumLocalCount: configuration.minimumLocalCount, scratch: &scratch)
        return evaluate(
            at: time, endBucket: endBucket, result: result, grid: grid, index: &index, publishing: publishing, categories: categories)
    }

    private mutating func evaluate(
        at time: Timestamp, endBucket: Int64, result: GiStarResult, grid: MetricGrid, index external: inout HotCellIndex?,
        publishing: Set<Alert.Kind>?, categories: @escaping ([GridCell]) -> [CategoryCount]
    ) -> [Alert] {
        // The shipped configuration publishes no hotspot kind: their outlines, categories and
        // alerts were built once a day per partition and dropped by the engine.
        let publishesOpened = publishing?.contains(.hotspotOpened) ?? true
        let publishesGrew = publishing?.contains(.hotspotGrew) ?? true
        let publishesClosed = publishing?.contains(.hotspotClosed) ?? true
        // Hot cells (the only ones hotspots are made of) placed in an index, which is this
        // evaluation's cell → component map and, kept by the caller, the features' hotspot index.
        let keptByCaller = external != nil
        var index = (keptByCaller ? external.take() : ownIndex.take()) ?? HotCellIndex()
        index.place(result.hot, at: time)
        // The hot list is sorted and distinct, so the labelling says each hot cell's component
        // (the owner of its place) as it goes.
        let components = GiStar.components(
            result.hot.map(\.cell), columns: columns, rows: rows, componentOfCell: &componentOfCell)

        let previous = previousHotspots
        var owners: [Int32]
        if componentOfCell.count == result.hot.count {
            owners = componentOfCell
        } else {
            owners = [Int32](repeating: -1, count: result.hot.count)
            owners.withUnsafeMutableBufferPointer { owners in
                for (ci, component) in components.enumerated() {
                    for c in component {
                        let place = index.place(of: c)
                        precondition(place >= 0, "a component cell that is not hot")  // written through a pointer
                        owners[place] = Int32(ci)
                    }
                }
            }
        }
        index.setOwners(owners)
        // What `describe` sums per component, in one pass over the hot list: it is sorted by cell,
        // as each component's cells are, so every component's sums are taken in its cell order
        // (the same floating-point sums). A hot cell's place is its position in the list.
        var sums = [ComponentSums](repeating: ComponentSums(), count: components.count)
        sums.withUnsafeMutableBufferPointer { sums in
            owners.withUnsafeBufferPointer { owners in
                result.hot.withUnsafeBufferPointer { hot in
                    for (place, c) in hot.enumerated() {
                        let ci = Int(owners[place])
                        let centre = grid.centre(of: c.cell)
                        sums[ci].total &+= c.count
                        sums[ci].latitude += Double(c.count) * centre.latitude
                        sums[ci].longitude += Double(c.count) * centre.longitude
                        sums[ci].maxGiStar = max(sums[ci].maxGiStar, c.giStar)
                    }
                }
            }
        }
        var overlaps: [Overlap] = []
        // Cells of each previous hotspot per component, counted in an array (the components a
        // hotspot touches are listed once each; `overlaps` is sorted below, so their order is free).
        var perComponent = [Int](repeating: 0, count: components.count)
        var touched: [Int] = []
        // By index: iterating `previous` copied every hotspot (its id, cells, outline and
        // categories retained and released, atomically) to read its cells.
        // The cells are looked up through readers (`owners` is each place's component).
        index.withPlaces { places in
            owners.withUnsafeBufferPointer { owners in
                for pi in previous.indices {
                    previous.cells(pi).withUnsafeBufferPointer { cells in
                        perComponent.withUnsafeMutableBufferPointer { perComponent in
                            for c in cells {
                                let place = places.place(of: c)
                                guard place >= 0 else { continue }
                                let ci = Int(owners[place])
                                if perComponent[ci] == 0 { touched.append(ci) }
                                perComponent[ci] &+= 1
                            }
                        }
                    }
                    for ci in touched {
                        overlaps.append((ci, pi, perComponent[ci]))
                        perComponent[ci] = 0
                    }
                    touched.removeAll(keepingCapacity: true)
                }
            }
        }
        // Largest overlap first, then previous id, then component, for the overlaps whose order
        // decides anything (`matchingOrder`; uncontested, none does and none is sorted).
        overlaps = Self.matchingOrder(overlaps, components: components.count, previous: previous.count) { previous.id($0) }
        // The previous hotspot each component continues (-1: none), and which previous ones are taken.
        var componentOwner = [Int](repeating: -1, count: components.count)
        var previousTaken = [Bool](repeating: false, count: previous.count)
        for o in overlaps where componentOwner[o.component] < 0 && !previousTaken[o.previous] {
            componentOwner[o.component] = o.previous
            previousTaken[o.previous] = true
        }

        let spec = configuration.window
        let windowEnd = Timestamp(milliseconds: (endBucket + 1) * spec.resolution.milliseconds)
        let windowStart = windowEnd - spec.horizon
        let window = (windowStart, windowEnd)
        var alerts: [Alert] = []
        var next: [Hotspot] = []
        next.reserveCapacity(components.count)
        var idOfComponent: [String] = []
        idOfComponent.reserveCapacity(components.count)
        // The first overlap of each component and of each previous hotspot in `overlaps` order:
        // the largest, ties to the smaller previous id (for a component) or to the smaller
        // component (for a previous hotspot), which is what the split and merge links name.
        var firstOfComponent = [Int](repeating: -1, count: components.count)
        var firstOfPrevious = [Int](repeating: -1, count: previous.count)
        for (k, o) in overlaps.enumerated().reversed() {
            firstOfComponent[o.component] = k
            firstOfPrevious[o.previous] = k
        }
        for (ci, component) in components.enumerated() {
            // The hotspot this component continues, read field by field (not copied whole).
            let ownerIndex = componentOwner[ci]
            let hasOwner = ownerIndex >= 0
            let biggestOverlap = firstOfComponent[ci] >= 0 ? overlaps[firstOfComponent[ci]] : nil
            var id = hasOwner ? previous.id(ownerIndex) : nil
            if id == nil {
                var hash = StableHash()
                hash.combine(Self.ruleName)
                hash.combine(component[0].description)
                hash.combine(Int64(component.count))
                hash.combine(time.milliseconds)
                id = "hs-\(hash.hex)"
            }
            idOfComponent.append(id!)  // components are visited in order: this is index ci
            // Consecutive only if it was seen at the previous evaluation (not dormant since).
            let persistence =
                !hasOwner
                ? 1
                : time.milliseconds - previous.lastSeenAt(ownerIndex).milliseconds <= configuration.evaluateEvery.milliseconds
                    ? previous.persistence(ownerIndex) + 1 : 1
            let announced = hasOwner ? previous.announcedCells(ownerIndex) : nil
            let change: Alert.Kind?
            if let announced {
                let target = max(announced + 1, Int((Double(announced) * configuration.growthFactor).rounded(.up)))
                change = component.count >= target ? .hotspotGrew : nil
            } else {
                change =
                    component.count >= configuration.minimumCells && persistence >= configuration.minimumPersistence ? .hotspotOpened : nil
            }
            let published = change == .hotspotGrew ? publishesGrew : change == .hotspotOpened ? publishesOpened : false
            // Outline and categories only when a published alert carries them.
            var hotspot = describe(
                id: id!, openedAt: hasOwner ? previous.openedAt(ownerIndex) : time, cells: component, sums: sums[ci], grid: grid,
                categories: published ? categories : nil)
            hotspot.lastSeenAt = time
            hotspot.persistence = persistence
            hotspot.announcedCells = announced
            if change != nil && !published {
                hotspot.announcedCells = component.count  // announced all the same: the state is what a published run keeps
            } else if change == .hotspotGrew {
                let merged = overlaps.filter { $0.component == ci && $0.previous != componentOwner[ci] && !previousTaken[$0.previous] }
                    .map { previous.id($0.previous) }.sorted()
                alerts.append(
                    alert(
                        .hotspotGrew, hotspot, previousCells: announced, mergedWith: merged, splitFrom: nil, time: time, window: window,
                        grid: grid))
                hotspot.announcedCells = component.count
            } else if change == .hotspotOpened {
                let split = !hasOwner ? biggestOverlap.map { previous.id($0.previous) } : nil
                alerts.append(
                    alert(
                        .hotspotOpened, hotspot, previousCells: nil, mergedWith: [], splitFrom: split, time: time, window: window,
                        grid: grid))
                hotspot.announcedCells = component.count
            }
            next.append(consume hotspot)  // moved: a copy and a destroy per hotspot before
        }
        var dormant: [Hotspot] = []
        for pi in previous.indices where !previousTaken[pi] {
            // Read in place: the hotspot is copied only into `dormant` or an alert.
            let into = firstOfPrevious[pi] >= 0 ? overlaps[firstOfPrevious[pi]] : nil
            let mergedInto = into.map { idOfComponent[$0.component] }
            if mergedInto == nil && time.milliseconds - previous.lastSeenAt(pi).milliseconds < configuration.closeAfter.milliseconds {
                dormant.append(previous.hotspot(pi))  // may come back with the same id
                continue
            }
            if previous.announcedCells(pi) != nil && publishesClosed {
                alerts.append(
                    alert(
                        .hotspotClosed, previous.hotspot(pi), previousCells: previous.cells(pi).count,
                        mergedWith: mergedInto.map { [$0] } ?? [], splitFrom: nil, time: time, window: window, grid: grid))
            }
        }
        snapshot = HotspotSnapshot(evaluatedAt: time, windowEndBucket: endBucket, giStar: result, hotspots: next)
        if keptByCaller {
            index.setHotspots(next)
            external = index
        } else {
            ownIndex = index
        }
        previousHotspots = PreviousHotspots(seen: next, dormant: dormant)
        return alerts
    }

    /// One previous hotspot's cells in one component of this evaluation.
    typealias Overlap = (component: Int, previous: Int, overlap: Int)

    /// `overlaps` in an order the greedy matching reads as it would read them sorted by largest
    /// overlap, then previous id (`id`), then component: each component continues the first
    /// overlap's hotspot not yet taken, and the first overlap of a component or of a previous
    /// hotspot names its split or merge. An overlap alone on both its component and its previous
    /// hotspot competes with none and is the first of both wherever it stands, so only the
    /// overlaps sharing one of them are sorted, and the others follow as they were. One engine
    /// over Toronto 2020–21 met a contest on 697 of 731 days, and sorting every overlap took ~55k
    /// instructions a day; this order saves ~590 instructions per incident of that replay
    /// (`HotspotTrackerTests.matchingOrderMatchesTheFullSort` checks it against the full sort).
    static func matchingOrder<ID: Comparable>(
        _ overlaps: [Overlap], components: Int, previous: Int, id: (Int) -> ID
    ) -> [Overlap] {
        var perComponent = [Int32](repeating: 0, count: components)
        var perPrevious = [Int32](repeating: 0, count: previous)
        for o in overlaps {
            perComponent[o.component] &+= 1
            perPrevious[o.previous] &+= 1
        }
        var shared: [Overlap] = []
        var alone: [Overlap] = []
        alone.reserveCapacity(overlaps.count)
        for o in overlaps {
            if perComponent[o.component] > 1 || perPrevious[o.previous] > 1 { shared.append(o) } else { alone.append(o) }
        }
        guard !shared.isEmpty else { return alone }  // uncontested: every order reads the same
        // Ids are compared only between equal overlaps, not copied into a tuple for every comparison.
        shared.sort { a, b in
            if a.overlap != b.overlap { return a.overlap > b.overlap }
            if a.previous != b.previous {
                let (ia, ib) = (id(a.previous), id(b.previous))
                if ia != ib { return ia < ib }
            }
            return a.component < b.component
        }
        return shared + alone
    }

    /// One component's incidents, their sums of count × cell centre (taken in cell order) and its
    /// largest Gi* (every cell of a component is hot).
    struct ComponentSums: Sendable {
        var total = 0
        var latitude = 0.0
        var longitude = 0.0
        var maxGiStar = -Double.infinity
    }

    private func describe(
        id: String, openedAt: Timestamp, cells: [GridCell], sums: ComponentSums, grid: MetricGrid,
        categories: (([GridCell]) -> [CategoryCount])?
    ) -> Hotspot {
        let total = sums.total
        let centroid: GeoPoint
        if total > 0 {
            centroid = GeoPoint(latitude: sums.latitude / Double(total), longitude: sums.longitude / Double(total))
        } else {
            let centres = cells.map { grid.centre(of: $0) }
            centroid = GeoPoint(
                latitude: centres.map(\.latitude).reduce(0, +) / Double(cells.count),
                longitude: centres.map(\.longitude).reduce(0, +) / Double(cells.count))
        }
        // Outline and categories cost more than the rest: computed only for alerts (and on demand).
        let polygon: [GeoPoint] =
            categories == nil
            ? []
            : GiStar.hull(of: cells).map { corner in
                let (lat, lon) = grid.unproject(x: Double(corner.0) * grid.cellSize, y: Double(corner.1) * grid.cellSize)
                return GeoPoint(latitude: lat, longitude: lon)
            }
        let areaKm2 = Double(cells.count) * grid.cellSize * grid.cellSize / 1e6
        return Hotspot(
            id: id, openedAt: openedAt, cells: cells, count: total,
            maxGiStar: cells.isEmpty ? 0 : sums.maxGiStar, centroid: centroid, polygon: polygon,
            intensity: Double(total) / areaKm2, categories: categories?(cells) ?? [], lastSeenAt: openedAt, announcedCells: nil)
    }

    private func alert(
        _ kind: Alert.Kind, _ h: Hotspot, previousCells: Int?, mergedWith: [String], splitFrom: String?,
        time: Timestamp, window: (Timestamp, Timestamp), grid: MetricGrid
    ) -> Alert {
        var hash = StableHash()
        hash.combine(kind.rawValue)
        hash.combine(h.id)
        hash.combine(time.milliseconds)
        let polygon =
            h.polygon.isEmpty
            ? GiStar.hull(of: h.cells).map { corner in
                let (lat, lon) = grid.unproject(x: Double(corner.0) * grid.cellSize, y: Double(corner.1) * grid.cellSize)
                return GeoPoint(latitude: lat, longitude: lon)
            } : h.polygon
        // Large clusters matter most to a dispatcher; z-scores are high for any tight cluster at low densities.
        let severity: Alert.Severity = kind == .hotspotClosed ? .low : (h.cells.count >= 10 ? .high : .medium)
        return Alert(
            id: "hsa-\(hash.hex)", kind: kind, rule: Self.ruleName, severity: severity, eventTime: time,
            category: nil, neighbourhood: nil,
            cell: grid.cell(latitude: h.centroid.latitude, longitude: h.centroid.longitude),
            latitude: h.centroid.latitude, longitude: h.centroid.longitude, cellSize: grid.cellSize,
            windowStart: window.0, windowEnd: window.1, count: h.count, threshold: nil, surge: nil,
            hotspot: HotspotEvidence(
                id: h.id, cells: h.cells, previousCells: previousCells, polygon: polygon,
                maxGiStar: h.maxGiStar, intensity: h.intensity, categories: h.categories,
                mergedWith: mergedWith, splitFrom: splitFrom),
            incidentIDs: [])
    }
}
