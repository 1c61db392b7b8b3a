import Testing
import VigilCore
import VigilKafka

@testable import VigilService

@Suite("admin formats")
struct FormatsTests {
    @Test func prometheusEscapesLabelValuesAndFormatsNumbers() {
        #expect(PrometheusExposition.escape("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
        #expect(PrometheusExposition.number(3) == "3")
        #expect(PrometheusExposition.number(0.25) == "0.25")
        #expect(PrometheusExposition.number(.infinity) == "+Inf")
        var s = OperationsSnapshot()
        s.statistics.countDeadLetter(reason: "bad_json")
        s.statistics.countAlert(.surge)
        s.partitions = [.init(topicPartition: TopicPartition("inc\"x", 2), lag: 7)]
        let text = PrometheusExposition.render(s, startTime: 1_700_000_000, librdkafka: "2.16.0", vigil: "0.1.0")
        #expect(text.contains("vigil_dead_letters_total{reason=\"bad_json\"} 1\n"))
        #expect(text.contains("vigil_alerts_total{kind=\"surge\"} 1\n"))
        #expect(text.contains("vigil_consumer_lag{topic=\"inc\\\"x\",partition=\"2\"} 7\n"))
        #expect(text.contains("vigil_batch_processing_seconds_bucket{le=\"+Inf\"} 0\n"))
        #expect(text.contains("process_start_time_seconds 1700000000\n"))
    }

    @Test func geoJSONRingsAreClosedAndCounterClockwiseInLonLat() {
        // Clockwise in (lon, lat), not closed.
        let cw = [
            GeoPoint(latitude: 0, longitude: 0), GeoPoint(latitude: 1, longitude: 0), GeoPoint(latitude: 1, longitude: 1),
            GeoPoint(latitude: 0, longitude: 1)
        ]
        let ring = HotspotGeoJSON.ring(cw)
        #expect(ring.first == ring.last && ring.count == 5)
        var area = 0.0
        for i in 0..<(ring.count - 1) { area += ring[i].longitude * ring[i + 1].latitude - ring[i + 1].longitude * ring[i].latitude }
        #expect(area > 0)
    }

    @Test func aggregatesQueriesParseStrictly() {
        #expect(AggregatesQuery.parse("cell=x12y34") == .success(.cell(GridCell(x: 12, y: 34))))
        #expect(AggregatesQuery.parse("neighbourhood=Church-Yonge%20Corridor") == .success(.neighbourhood("Church-Yonge Corridor")))
        #expect(AggregatesQuery.parse("neighbourhood=Church+Yonge") == .success(.neighbourhood("Church Yonge")))
        for bad in [nil, "", "cell=12,34", "cell=x1y", "cell=x1y2&neighbourhood=A", "colour=red", "neighbourhood="] {
            guard case .failure = AggregatesQuery.parse(bad) else {
                Issue.record("accepted \(bad ?? "nil")")
                continue
            }
        }
    }

    @Test func capTimesCarryANumericOffsetAndWholeSeconds() {
        #expect(CAPAlert.time(Timestamp(milliseconds: 1_614_816_000_123)) == "2021-03-04T00:00:00+00:00")
        #expect(
            CAPAlert.polygon([
                GeoPoint(latitude: 43.6, longitude: -79.4), GeoPoint(latitude: 43.7, longitude: -79.4),
                GeoPoint(latitude: 43.7, longitude: -79.3)
            ])
                == "43.600000,-79.400000 43.700000,-79.400000 43.700000,-79.300000 43.600000,-79.400000")
        #expect(CAPAlert.escape("a<b & \"c\"") == "a&lt;b &amp; &quot;c&quot;")
    }

    @Test func monotonicTotalsSurviveRevokedAndRecreatedPartitions() {
        var totals = MonotonicTotals()
        let a = TopicPartition("t", 0)
        let b = TopicPartition("t", 1)
        // b revoked: its 2 stay counted; then a recreated from zero.
        let seen = [totals.total([a: 5, b: 2]), totals.total([a: 6]), totals.total([a: 1, b: 0])]
        #expect(seen == [7, 8, 9])
    }
}
