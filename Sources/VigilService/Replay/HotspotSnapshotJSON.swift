import VigilCore

/// The final hotspot evaluation (Gi* hot cells and hotspots, with the grid they live on) as
/// JSON, for `vigil replay --hotspots-output`: the map and the Gi* reference check read it.
enum HotspotSnapshotJSON {
    static func encode(_ s: HotspotSnapshot, engine: EngineConfiguration) -> [UInt8] {
        let grid = engine.grid
        let b = grid.bounds
        let (width, height) = grid.project(latitude: b.north, longitude: b.east)
        var w = JSONWriter(capacity: 1 << 16)
        w.beginObject()
        w.key("evaluated_at"); w.timestamp(s.evaluatedAt)
        w.key("evaluated_day"); w.int(Int(s.windowEndBucket))
        w.key("z_threshold"); w.double(engine.hotspots?.zThreshold ?? 0)
        w.key("min_local_count"); w.int(engine.hotspots?.minimumLocalCount ?? 0)
        w.key("grid")
        w.beginObject()
        w.key("south"); w.double(b.south); w.key("west"); w.double(b.west); w.key("north"); w.double(b.north); w.key("east"); w.double(b.east)
        w.key("cell_size_m"); w.double(grid.cellSize)
        w.key("columns"); w.int(Int((width / grid.cellSize).rounded(.up)))
        w.key("rows"); w.int(Int((height / grid.cellSize).rounded(.up)))
        w.endObject()
        w.key("mean"); w.double(s.giStar.mean)
        w.key("std"); w.double(s.giStar.standardDeviation)
        w.key("hot_cells")
        w.beginArray()
        for c in s.giStar.hot {
            w.beginObject()
            w.key("cell"); w.string(c.cell.description); w.key("x"); w.int(Int(c.cell.x)); w.key("y"); w.int(Int(c.cell.y))
            w.key("count"); w.int(c.count); w.key("local_sum"); w.int(c.localSum); w.key("gi_star"); w.double(c.giStar)
            w.endObject()
        }
        w.endArray()
        w.key("hotspots")
        w.beginArray()
        for h in s.hotspots {
            w.beginObject()
            w.key("id"); w.string(h.id)
            w.key("cells"); w.beginArray(); for c in h.cells { w.string(c.description) }; w.endArray()
            w.key("count"); w.int(h.count)
            w.key("max_gi_star"); w.double(h.maxGiStar, decimals: 4)
            w.key("centroid"); w.beginArray(); w.double(h.centroid.longitude, decimals: 6); w.double(h.centroid.latitude, decimals: 6); w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }
}
