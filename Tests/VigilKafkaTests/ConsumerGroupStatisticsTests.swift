import Foundation
import Testing
import VigilKafka

/// The group's join state read from librdkafka's statistics JSON, and how long a membership has
/// been unsettled (`GroupSettlement`), without a broker or a clock.
@Suite("Consumer group statistics and settlement")
struct ConsumerGroupStatisticsTests {
    /// librdkafka 2.16's layout (abridged): brokers and topics carry a "state" of their own before
    /// `cgrp`, so the scan must read the group's, not the first "state" in the document.
    /// As librdkafka 2.16 writes it (`"key": value`, abridged); the group's object is followed by more keys.
    static let document = """
        { "name": "rdkafka#consumer-1", "client_id": "rdkafka", "type": "consumer", "ts":44512348312, "brokers":{ \
        "127.0.0.1:9092/1": { "name": "127.0.0.1:9092/1", "nodeid": 1, "state": "UP", "stateage": 8123 } }, \
        "topics":{ "incidents": { "topic": "incidents", "partitions": { "0": { "partition": 0, "fetch_state": "active" } } } }, \
        "cgrp": { "state": "up", "stateage": 7001, "join_state": "wait-sync", "rebalance_age": 420, "rebalance_cnt": 3, \
        "rebalance_reason": "group is rebalancing {state}", "assignment_size": 2 }, "tx":10, "eos": { } }
        """

    @Test func readsTheGroupsStateNotABrokers() throws {
        let stats = try #require(ConsumerGroupStatistics(statisticsJSON: Array(Self.document.utf8)))
        #expect(stats == ConsumerGroupStatistics(state: "up", joinState: "wait-sync"))
        #expect(!stats.isSteady)
    }

    /// Compact JSON (no spaces) reads the same.
    @Test func compactJSONReadsTheSame() throws {
        let compact = #"{"brokers":{"b":{"state":"UP"}},"cgrp":{"state":"up","join_state":"steady","rebalance_reason":""},"tx":1}"#
        #expect(ConsumerGroupStatistics(statisticsJSON: Array(compact.utf8)) == ConsumerGroupStatistics(state: "up", joinState: "steady"))
    }

    @Test(arguments: [
        #"{"name":"rdkafka#producer-1","type":"producer","brokers":{"b":{"state":"UP"}}}"#,  // no group
        #"{"cgrp": { "state": "up", "stateage": 7001, "join_state": "wait-sy"#,  // cut short
        #"{"cgrp":{"state":"up","stateage":7001}}"#  // no join state
    ])
    func aDocumentWithoutACompleteGroupIsNil(json: String) {
        #expect(ConsumerGroupStatistics(statisticsJSON: Array(json.utf8)) == nil)
    }

    @Test func steadyIsSettledEveryOtherJoinStateIsNot() {
        #expect(ConsumerGroupStatistics(state: "up", joinState: "steady").isSteady)
        for state in ["init", "wait-join", "wait-metadata", "wait-sync", "wait-assign-call", "wait-unassign-call"] {
            #expect(!ConsumerGroupStatistics(state: "up", joinState: state).isSteady, "\(state)")
        }
    }

    /// The clock starts at the first unsettled observation, keeps running through other unsettled
    /// states (a rejoin that cycles wait-join → wait-sync is still one stall), and stops at steady.
    @Test func unsettledTimeRunsFromTheFirstUnsettledObservationUntilSteady() {
        let t0 = ContinuousClock.now
        var s = GroupSettlement()
        #expect(s.unsettled(at: t0 + .seconds(100)) == .zero, "nothing observed: unknown, not unsettled")
        s.observe(nil, at: t0)
        #expect(s.unsettledSince == nil && s.joinState == "")
        s.observe(.init(state: "up", joinState: "steady"), at: t0)
        #expect(s.unsettled(at: t0 + .seconds(5)) == .zero)
        s.observe(.init(state: "up", joinState: "wait-join"), at: t0 + .seconds(10))
        s.observe(.init(state: "up", joinState: "wait-sync"), at: t0 + .seconds(15))
        s.observe(nil, at: t0 + .seconds(20))  // no new statistics: the last state stands
        #expect(s.unsettled(at: t0 + .seconds(75)) == .seconds(65) && s.joinState == "wait-sync")
        s.observe(.init(state: "up", joinState: "steady"), at: t0 + .seconds(80))
        #expect(s.unsettled(at: t0 + .seconds(90)) == .zero && s.joinState == "steady")
        s.observe(.init(state: "query-coord", joinState: "init"), at: t0 + .seconds(100))
        #expect(s.unsettled(at: t0 + .seconds(101)) == .seconds(1), "a new stall starts its own clock")
    }
}
