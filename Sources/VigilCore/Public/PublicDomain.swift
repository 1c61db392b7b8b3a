/// The fixed, public set of keys the open-data feed reports on: the configured neighbourhoods ×
/// categories, and every coarse cell of the configured box × categories.
///
/// The domain never depends on the data: a key with no incidents is released (as noise) like any
/// other, so the set of published keys reveals nothing. Incidents outside it (an unlisted
/// neighbourhood or category, a point outside the box) are simply not counted in that family.
public struct PublicDomain: Sendable, Equatable {
    public let neighbourhoods: [String]
    public let categories: [String]
    /// The coarse grid (e.g. 1 km cells) over the configured bounding box.
    public let grid: MetricGrid
    /// Every cell of the box, in order: (0...columns-1) × (0...rows-1) relative to the south-west.
    public let cells: [GridCell]
    private let neighbourhoodIndex: [String: Int]
    private let categoryIndex: [String: Int]
    private let cellIndex: [GridCell: Int]

    public init(neighbourhoods: [String], categories: [String], grid: MetricGrid) {
        self.neighbourhoods = neighbourhoods
        self.categories = categories
        self.grid = grid
        let sw = grid.cell(latitude: grid.bounds.south, longitude: grid.bounds.west)
        let ne = grid.cell(latitude: grid.bounds.north, longitude: grid.bounds.east)
        var cells: [GridCell] = []
        for x in min(sw.x, ne.x)...max(sw.x, ne.x) {
            for y in min(sw.y, ne.y)...max(sw.y, ne.y) { cells.append(GridCell(x: x, y: y)) }
        }
        self.cells = cells
        neighbourhoodIndex = Dictionary(neighbourhoods.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        categoryIndex = Dictionary(categories.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        cellIndex = Dictionary(cells.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The two key families of the feed.
    public enum Family: String, Sendable, CaseIterable, Codable {
        case neighbourhoodCategory = "neighbourhood_category"
        case cellCategory = "cell_category"
    }

    public func keyCount(_ family: Family) -> Int {
        switch family {
        case .neighbourhoodCategory: neighbourhoods.count * categories.count
        case .cellCategory: cells.count * categories.count
        }
    }

    /// The key index an incident adds one to in `family`, or nil when it lies outside the domain.
    public func key(_ family: Family, of incident: Incident) -> Int? {
        guard let c = categoryIndex[incident.category] else { return nil }
        switch family {
        case .neighbourhoodCategory:
            guard let name = incident.neighbourhood, let n = neighbourhoodIndex[name] else { return nil }
            return n * categories.count + c
        case .cellCategory:
            guard grid.bounds.contains(latitude: incident.latitude, longitude: incident.longitude),
                let cell = cellIndex[grid.cell(latitude: incident.latitude, longitude: incident.longitude)]
            else { return nil }
            return cell * categories.count + c
        }
    }

    /// The public label of a key: (area, category), e.g. ("Annex (95)", "Assault") or ("x3y7", "Robbery").
    public func label(_ family: Family, key: Int) -> (area: String, category: String) {
        let category = categories[key % categories.count]
        switch family {
        case .neighbourhoodCategory: return (neighbourhoods[key / categories.count], category)
        case .cellCategory: return (cells[key / categories.count].description, category)
        }
    }
}
