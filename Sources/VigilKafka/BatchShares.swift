/// How many records a poll batch takes from each partition's queue, when the consumer reads the
/// partitions' queues in turn (`KafkaConsumer(partitionQueues: true)`).
///
/// Why: librdkafka fills its one consumer queue a fetch at a time, about 1 MiB of one partition,
/// so a 1,000-record batch taken from it nearly always holds one partition, and the engines of
/// the other partitions (on the other cores) have nothing to do in that batch. Taken from the
/// partitions' own queues by these shares, a batch holds every partition that has records.
///
/// The split is max–min fair ("water filling"): every queue gets an equal share of the room; a
/// queue holding less than its share gets all it holds, and what it leaves is shared among the
/// others the same way. So the batch is as full as the queues allow and as even as it can be.
/// Each partition's records stay in their own order; only partitions are interleaved.
public enum BatchShares {
    /// Records to take from each queue, for `lengths` records waiting in each and `room` in the
    /// batch. The shares sum to `min(room, lengths.sum)`; equal lengths get shares differing by at
    /// most 1 (the extra ones go to the first queues).
    public static func split(room: Int, lengths: [Int]) -> [Int] {
        var shares = Array(repeating: 0, count: lengths.count)
        var left = max(0, room)
        // Queues still wanting more, smallest first so each round settles the ones that fit.
        var open = lengths.indices.filter { lengths[$0] > 0 }.sorted { (lengths[$0], $0) < (lengths[$1], $1) }
        while left > 0, !open.isEmpty {
            let fair = left / open.count
            guard fair > 0 else {
                // Fewer records of room than queues: one more each to the first queues (by index).
                for i in open.sorted().prefix(left) {
                    shares[i] += 1
                }
                break
            }
            var stillOpen: [Int] = []
            var given = 0
            for i in open {
                let take = min(fair, lengths[i] - shares[i])
                shares[i] += take
                given += take
                if shares[i] < lengths[i] { stillOpen.append(i) }
            }
            left -= given
            open = stillOpen
        }
        return shares
    }
}
