import VigilCore
import VigilKafka

/// Each partition's hotspots with their category mix (`IncidentEngine.categories(ofHotspot:)`),
/// worked out once per hotspot evaluation rather than at every operations snapshot (about once a
/// second): the mix costs a window lookup per cell and category, and changes only when the
/// engine evaluates again (daily in event time).
struct HotspotCategoryCache {
    private var byPartition: [TopicPartition: (evaluatedAt: Timestamp, hotspots: [Hotspot])] = [:]

    /// The latest evaluation's hotspots of `engine`, each with its categories (empty where they
    /// cannot be given exactly).
    mutating func hotspots(of engine: IncidentEngine, partition tp: TopicPartition) -> [Hotspot] {
        guard let snapshot = engine.hotspotSnapshot else {
            byPartition[tp] = nil
            return []
        }
        if let kept = byPartition[tp], kept.evaluatedAt == snapshot.evaluatedAt { return kept.hotspots }
        let described = snapshot.hotspots.map { h in
            var h = h
            if h.categories.isEmpty { h.categories = engine.categories(ofHotspot: h) ?? [] }
            return h
        }
        byPartition[tp] = (snapshot.evaluatedAt, described)
        return described
    }

    /// Forgets partitions no longer assigned.
    mutating func keep(only assigned: Set<TopicPartition>) {
        byPartition = byPartition.filter { assigned.contains($0.key) }
    }
}
