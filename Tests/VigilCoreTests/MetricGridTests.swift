import Foundation
import Testing

@testable import VigilCore

@Suite("MetricGrid")
struct MetricGridTests {
    let grid = MetricGrid(cellSize: 250, bounds: torontoBounds)

    /// Degrees per metre eastward/northward, measured through `project` (it is linear).
    var degreesPerMetre: (latitude: Double, longitude: Double) {
        let origin = grid.project(latitude: torontoBounds.south, longitude: torontoBounds.west)
        let east = grid.project(latitude: torontoBounds.south, longitude: torontoBounds.west + 1)
        let north = grid.project(latitude: torontoBounds.south + 1, longitude: torontoBounds.west)
        return (1 / (north.y - origin.y), 1 / (east.x - origin.x))
    }

    @Test("the box's south-west corner projects to the origin and lies in cell (0, 0)")
    func southWestCorner() {
        let p = grid.project(latitude: torontoBounds.south, longitude: torontoBounds.west)
        #expect(p.x == 0 && p.y == 0)
        #expect(grid.cell(latitude: torontoBounds.south, longitude: torontoBounds.west) == GridCell(x: 0, y: 0))
        // Just south-west of the corner is the previous row and column (floor, not truncation).
        #expect(grid.cell(latitude: torontoBounds.south - 1e-6, longitude: torontoBounds.west - 1e-6) == GridCell(x: -1, y: -1))
    }

    @Test("projection scale: ~111.2 km per degree of latitude, cos(mid-latitude) of that per degree of longitude")
    func scale() {
        let perMetre = degreesPerMetre
        let metresPerDegreeLatitude = 1 / perMetre.latitude
        #expect(abs(metresPerDegreeLatitude - 111_195.08) < 0.1)
        let mid = (torontoBounds.south + torontoBounds.north) / 2 * .pi / 180
        #expect(abs(1 / perMetre.longitude - metresPerDegreeLatitude * cos(mid)) < 1e-6)
        // The box is ~42.7 km wide and ~31.1 km high: ~171 × ~125 cells.
        let ne = grid.cell(latitude: torontoBounds.north, longitude: torontoBounds.east)
        #expect(ne == GridCell(x: 170, y: 124))
    }

    @Test("moving one cell size east or north moves exactly one cell (random points)")
    func stepOneCell() {
        var rng = SplitMix64(seed: 0x6121D)
        let perMetre = degreesPerMetre
        for _ in 0..<2000 {
            // A point well inside a random cell (away from edges, so rounding cannot matter).
            let cell = GridCell(x: Int32.random(in: -20...190, using: &rng), y: Int32.random(in: -20...140, using: &rng))
            let centre = grid.centre(of: cell)
            let dx = Double.random(in: -100...100, using: &rng)
            let dy = Double.random(in: -100...100, using: &rng)
            let lat = centre.latitude + dy * perMetre.latitude
            let lon = centre.longitude + dx * perMetre.longitude
            #expect(grid.cell(latitude: lat, longitude: lon) == cell)
            let east = grid.cell(latitude: lat, longitude: lon + 250 * perMetre.longitude)
            let north = grid.cell(latitude: lat + 250 * perMetre.latitude, longitude: lon)
            let west = grid.cell(latitude: lat, longitude: lon - 250 * perMetre.longitude)
            #expect(east == GridCell(x: cell.x + 1, y: cell.y))
            #expect(north == GridCell(x: cell.x, y: cell.y + 1))
            #expect(west == GridCell(x: cell.x - 1, y: cell.y))
            // And the projection of the moved point is exactly 250 m further (to rounding).
            let p = grid.project(latitude: lat, longitude: lon)
            let q = grid.project(latitude: lat, longitude: lon + 250 * perMetre.longitude)
            #expect(abs(q.x - p.x - 250) < 1e-6 && q.y == p.y)
        }
    }

    @Test("cell(centre(of: c)) == c for random cells, and the centre is the corners' midpoint")
    func centreInsideCell() {
        var rng = SplitMix64(seed: 0xCE27E)
        for _ in 0..<2000 {
            let cell = GridCell(x: Int32.random(in: -1000...1000, using: &rng), y: Int32.random(in: -1000...1000, using: &rng))
            let centre = grid.centre(of: cell)
            #expect(grid.cell(latitude: centre.latitude, longitude: centre.longitude) == cell)
            let p = grid.project(latitude: centre.latitude, longitude: centre.longitude)
            #expect(abs(p.x - (Double(cell.x) + 0.5) * 250) < 1e-6 && abs(p.y - (Double(cell.y) + 0.5) * 250) < 1e-6)
            let corners = grid.corners(of: cell)
            #expect(abs((corners[0].latitude + corners[2].latitude) / 2 - centre.latitude) < 1e-9)
            #expect(abs((corners[0].longitude + corners[2].longitude) / 2 - centre.longitude) < 1e-9)
        }
    }

    @Test("corners are SW, SE, NE, NW and bound the cell")
    func corners() {
        for cell in [GridCell(x: 0, y: 0), GridCell(x: 17, y: 42), GridCell(x: -3, y: 5)] {
            let c = grid.corners(of: cell)
            guard c.count == 4 else {
                Issue.record("\(c.count) corners")
                continue
            }
            let (sw, se, ne, nw) = (c[0], c[1], c[2], c[3])
            #expect(sw.latitude == se.latitude && ne.latitude == nw.latitude && sw.latitude < nw.latitude)
            #expect(sw.longitude == nw.longitude && se.longitude == ne.longitude && sw.longitude < se.longitude)
            let pSW = grid.project(latitude: sw.latitude, longitude: sw.longitude)
            let pNE = grid.project(latitude: ne.latitude, longitude: ne.longitude)
            #expect(abs(pSW.x - Double(cell.x) * 250) < 1e-6 && abs(pSW.y - Double(cell.y) * 250) < 1e-6)
            #expect(abs(pNE.x - pSW.x - 250) < 1e-6 && abs(pNE.y - pSW.y - 250) < 1e-6)
            // A point just inside the SW corner is in the cell; just inside NE too.
            #expect(grid.cell(latitude: sw.latitude + 1e-7, longitude: sw.longitude + 1e-7) == cell)
            #expect(grid.cell(latitude: ne.latitude - 1e-7, longitude: ne.longitude - 1e-7) == cell)
        }
        let origin = grid.corners(of: GridCell(x: 0, y: 0))[0]
        #expect(origin.latitude == torontoBounds.south && origin.longitude == torontoBounds.west)
    }

    @Test("neighbourhood(rings:) is the (2r+1)² distinct cells around and including the cell", arguments: [0, 1, 2, 3] as [Int32])
    func neighbourhood(rings: Int32) {
        let cell = GridCell(x: 10, y: -4)
        let cells = grid.neighbourhood(of: cell, rings: rings)
        let side = Int(2 * rings + 1)
        #expect(cells.count == side * side)
        #expect(Set(cells).count == cells.count)
        #expect(cells.contains(cell))
        #expect(cells.allSatisfy { abs($0.x - cell.x) <= rings && abs($0.y - cell.y) <= rings })
        #expect(grid.neighbourhood(of: cell, rings: rings) == cells, "fixed order")
    }

    @Test("default neighbourhood is one ring: 9 cells")
    func defaultNeighbourhood() {
        let cells = grid.neighbourhood(of: GridCell(x: 0, y: 0))
        #expect(cells.count == 9 && Set(cells).count == 9 && cells.contains(GridCell(x: 0, y: 0)))
    }

    @Test("GridCell text form and ordering")
    func gridCell() {
        #expect(GridCell(x: 12, y: 34).description == "x12y34")
        #expect(GridCell(x: -1, y: -20).description == "x-1y-20")
        #expect(GridCell(x: 1, y: 9) < GridCell(x: 2, y: 0))
        #expect(GridCell(x: 1, y: 0) < GridCell(x: 1, y: 1))
    }

    @Test("GeoBounds validity and containment (edges inclusive)")
    func geoBounds() {
        #expect(torontoBounds.isValid && GeoBounds.world.isValid)
        #expect(!GeoBounds(south: 10, west: 0, north: 5, east: 1).isValid)
        #expect(!GeoBounds(south: 0, west: 1, north: 5, east: 1).isValid)
        #expect(!GeoBounds(south: -91, west: 0, north: 5, east: 1).isValid)
        #expect(!GeoBounds(south: .nan, west: 0, north: 5, east: 1).isValid)
        #expect(torontoBounds.contains(latitude: 43.58, longitude: -79.64))
        #expect(torontoBounds.contains(latitude: 43.86, longitude: -79.11))
        #expect(!torontoBounds.contains(latitude: 43.579999, longitude: -79.5))
        #expect(!torontoBounds.contains(latitude: 43.7, longitude: -79.109999))
    }
}
