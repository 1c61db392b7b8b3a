import Testing

@testable import VigilCore

/// The scan's tiled slot index against a plain dictionary of (cell, layer) → slot.
@Suite struct ScanSlotIndexTests {
    /// Slots inserted and removed at random over several tiles and layers (negative coordinates,
    /// tiles freed and reused, cells at the edges of Int32): every lookup agrees with the
    /// dictionary, a slot's location holds that slot, and a disc window (any radius, any centre,
    /// including squares whose coordinates wrap) finds each cell's slot at its location, and no
    /// slot where the dictionary holds none.
    @Test(arguments: [21, 22, 23] as [UInt64]) func lookupsAndWindowsEqualADictionary(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var index = ScanSlotIndex()
        var reference: [Key: Int32] = [:]
        var freeSlots: [Int32] = []
        var nextSlot: Int32 = 0
        // Layer 3 holds only cells at the edges of Int32 (tile keys keep 24 bits of a tile's
        // coordinates, so such cells would share keys with cells near 0 in the same layer).
        func edge() -> Int32 { rng.next() % 2 == 0 ? Int32.max - Int32(rng.next() % 6) : Int32.min + Int32(rng.next() % 6) }
        func randomCell(layer: UInt16) -> GridCell {
            layer == 3 ? GridCell(x: edge(), y: edge()) : GridCell(x: Int32(Int(rng.next() % 40) - 20), y: Int32(Int(rng.next() % 40) - 20))
        }
        for step in 0..<4_000 {
            let layer = UInt16(rng.next() % 4)
            let cell = randomCell(layer: layer)
            let key = Key(x: cell.x, y: cell.y, layer: layer)
            if let slot = reference[key] {
                if rng.next() % 3 == 0 {
                    index.remove(slot, cell: cell, layer: layer)
                    reference[key] = nil
                    freeSlots.append(slot)
                }
            } else {
                var slot = nextSlot
                if let reused = freeSlots.popLast() {
                    slot = reused
                } else {
                    nextSlot += 1
                }
                index.insert(slot, cell: cell, layer: layer)
                reference[key] = slot
            }
            guard step % 10 == 0 else { continue }
            for (k, slot) in reference {
                #expect(index.slot(GridCell(x: k.x, y: k.y), layer: k.layer) == slot)
                #expect(index.slot(atLocation: index.location(ofSlot: slot)) == slot)
            }
            let windowLayer = UInt16(rng.next() % 4)
            let centre = randomCell(layer: windowLayer)
            let radius = Int32(rng.next() % 12)
            index.beginWindow(centre: centre, radius: radius, layer: windowLayer)
            if !index.windowWraps {
                // The window's tiles are the square's, however large the window before it was.
                let columns = Int((centre.x + radius) >> ScanSlotIndex.tileShift) - Int((centre.x - radius) >> ScanSlotIndex.tileShift) + 1
                let rows = Int((centre.y + radius) >> ScanSlotIndex.tileShift) - Int((centre.y - radius) >> ScanSlotIndex.tileShift) + 1
                #expect(index.windowTileCount == columns * rows && index.windowHeight == rows)
            }
            for dx in -radius...radius {
                for dy in -radius...radius {
                    let c = GridCell(x: centre.x &+ dx, y: centre.y &+ dy)
                    let at = index.windowLocation(c)
                    if let slot = reference[Key(x: c.x, y: c.y, layer: windowLayer)] {
                        #expect(at == index.location(ofSlot: slot))
                    } else {
                        #expect(at == -1 || index.slot(atLocation: at) == ScanSlotIndex.none)
                    }
                }
            }
        }
        #expect(!reference.isEmpty)
    }

    struct Key: Hashable {
        var x: Int32
        var y: Int32
        var layer: UInt16
    }
}
