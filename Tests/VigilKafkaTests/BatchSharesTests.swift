import Testing

@testable import VigilKafka

/// The fair split of a poll batch among the partitions' queues: full as the queues allow, even
/// as it can be, never more than a queue holds.
@Suite("batch shares: a poll batch split fairly among partition queues")
struct BatchSharesTests {
    @Test func aFullQueueOfEveryPartitionGetsAnEqualShare() {
        #expect(BatchShares.split(room: 1000, lengths: [3000, 3000, 3000, 3000]) == [250, 250, 250, 250])
        #expect(BatchShares.split(room: 10, lengths: [5, 5, 5]) == [4, 3, 3])
    }

    @Test func whatAShortQueueLeavesGoesToTheOthers() {
        #expect(BatchShares.split(room: 1000, lengths: [3000, 0, 10, 3000]) == [495, 0, 10, 495])
        #expect(BatchShares.split(room: 1000, lengths: [0, 0, 1200, 0]) == [0, 0, 1000, 0])
        #expect(BatchShares.split(room: 100, lengths: [10, 20, 30]) == [10, 20, 30])
    }

    @Test func nothingToTakeOrNoRoomTakesNothing() {
        #expect(BatchShares.split(room: 1000, lengths: []) == [])
        #expect(BatchShares.split(room: 1000, lengths: [0, 0]) == [0, 0])
        #expect(BatchShares.split(room: 0, lengths: [5, 5]) == [0, 0])
        #expect(BatchShares.split(room: 2, lengths: [5, 5, 5]) == [1, 1, 0])
    }

    /// Against the definition, on many random cases: the sum is min(room, total); no share exceeds
    /// its queue; and it is max–min fair: a queue that got less than it holds got at least as
    /// much as any other queue's share minus 1.
    @Test func randomCasesAreFullBoundedAndMaxMinFair() {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for _ in 0..<2000 {
            let lengths = (0..<(1 + next(8))).map { _ in next(4) == 0 ? 0 : next(600) }
            let room = next(1500)
            let shares = BatchShares.split(room: room, lengths: lengths)
            #expect(shares.reduce(0, +) == min(room, lengths.reduce(0, +)), "\(lengths) room \(room): \(shares)")
            for (share, length) in zip(shares, lengths) { #expect(share >= 0 && share <= length) }
            let largest = shares.max() ?? 0
            for (share, length) in zip(shares, lengths) where share < length {
                #expect(share >= largest - 1, "\(lengths) room \(room): \(shares) is not max-min fair")
            }
        }
    }
}

/// With a queue per partition librdkafka bounds each queue alone: the consumer-wide prefetch
/// defaults are split among the partitions so the total stays what it is with one queue.
@Suite("partition queue prefetch defaults")
struct PartitionQueuePrefetchTests {
    @Test func theConsumerWideBoundIsSplitAmongThePartitionsWithAFloor() {
        let wide = (
            kbytes: Int(KafkaConsumer.defaults["queued.max.messages.kbytes"]!)!,
            messages: Int(KafkaConsumer.defaults["queued.min.messages"]!)!
        )
        for n in [1, 2, 4, 6] {
            let split = KafkaConsumer.partitionQueueDefaults(partitions: n)
            #expect(Int(split["queued.max.messages.kbytes"]!)! * n <= wide.kbytes)
            #expect(Int(split["queued.min.messages"]!)! * n <= wide.messages)
        }
        #expect(KafkaConsumer.partitionQueueDefaults(partitions: 4)["queued.max.messages.kbytes"] == "4096")
        #expect(KafkaConsumer.partitionQueueDefaults(partitions: 64)["queued.max.messages.kbytes"] == "1024")
        #expect(KafkaConsumer.partitionQueueDefaults(partitions: 0)["queued.min.messages"] == "20000")
    }
}
