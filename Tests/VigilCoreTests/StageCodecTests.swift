import Testing

@testable import VigilCore

/// The stages' internal topics: every message back bit for bit, and bytes that are not a message
/// (truncated, another version, noise) an error with a reason, never a crash.
@Suite struct StageCodecTests {
    static let doubles: [Double] = [
        0, -0.0, 1e-300, .leastNonzeroMagnitude, 0.1, 1.0 / 3.0, 123_456.789, .infinity, -.infinity, .greatestFiniteMagnitude
    ]

    static func finding(_ rng: inout SplitMix64) -> ClusterFinding {
        func d() -> Double { rng.next() % 3 == 0 ? doubles[Int(rng.next() % UInt64(doubles.count))] : Double(bitPattern: rng.next() >> 2) }
        let cylinder = ScanCylinder(
            centre: GridCell(x: Int32(truncatingIfNeeded: rng.next()), y: Int32(truncatingIfNeeded: rng.next())),
            layer: UInt16(truncatingIfNeeded: rng.next()), radiusCells: Int(rng.next() % 9), cellCount: Int(rng.next() % 300),
            durationHours: Int(rng.next() % 200), endHour: Int64(bitPattern: rng.next()) >> 8, observed: Int(rng.next() % 1000),
            expected: d(), baselineWeight: d(), llr: d(), surprise: d())
        let names = ["Assault", "Break and Enter", "Théft Över", "", "强盗"]
        return ClusterFinding(
            cylinder: cylinder, layerName: rng.next() % 2 == 0 ? nil : names[Int(rng.next() % 5)],
            citations: (0..<Int(rng.next() % 17)).map { "id-\($0)-\(rng.next() % 1000)" },
            categories: (0..<Int(rng.next() % 4)).map { CategoryCount(category: names[$0], count: Int(rng.next() % 50)) })
    }

    static func output(_ rng: inout SplitMix64) -> ScanOutput {
        let s = Int64(rng.next() % 1_000_000)
        switch rng.next() % 3 {
        case 0:
            let results = (0..<Int(rng.next() % 4)).map { _ -> ClusterWatchResult in
                let recheck: ClusterRecheck =
                    rng.next() % 2 == 0
                    ? .open(radiusCells: Int(rng.next() % 4), durationHours: Int(rng.next() % 168))
                    : .ended(
                        best: rng.next() % 2 == 0 ? nil : finding(&rng),
                        quiet: Dictionary(uniqueKeysWithValues: (0..<Int(rng.next() % 4)).map { ($0, finding(&rng)) }))
                return ClusterWatchResult(centre: GridCell(x: 3, y: -4), layerName: rng.next() % 2 == 0 ? nil : "Robbery", recheck: recheck)
            }
            return .rechecks(sequence: s, hour: Int64(rng.next() % 500_000), results: results)
        case 1:
            return .candidate(
                sequence: s,
                ClusterCandidate(
                    finding: finding(&rng), eventTime: Timestamp(milliseconds: Int64(bitPattern: rng.next()) >> 4),
                    neighbourhood: rng.next() % 2 == 0 ? nil : "Kensington-Chinatown"))
        default:
            return .mark(sequence: s)
        }
    }

    @Test func findingsComeBackBitForBit() throws {
        var rng = SplitMix64(seed: 41)
        for _ in 0..<2_000 {
            let o = Self.output(&rng)
            let bytes = ScanOutputCodec.encode(o)
            let back = try ScanOutputCodec.decode(bytes)
            #expect(back == o)
            // Bytes again, so −0 against 0 is compared by its bits too.
            #expect(ScanOutputCodec.encode(back) == bytes)
        }
    }

    @Test func routedMessagesComeBack() throws {
        let messages: [RoutedMessage] = [
            .tick(sequence: 9, hour: 440_000), .incident(sequence: 10, halo: true), .incident(sequence: 0, halo: false),
            .mark(sequence: Int64.max),
            .cityOccurrences(
                sequence: 4, index: 1, CityOccurrences(layerName: "Assault", week: 2_600, counts: (0..<168).map { UInt32($0 * 7) })),
            .cityOccurrences(
                sequence: 0, index: 0, CityOccurrences(layerName: nil, week: -3, counts: [UInt32](repeating: .max, count: 168)))
        ]
        for m in messages { #expect(try RoutedMessageCodec.decode(RoutedMessageCodec.encode(m)) == m) }
    }

    /// A frame (what the router sends a partition per poll batch) gives back its messages and
    /// incident bytes in order; every truncation, trailing byte and incident message without its
    /// incident is an error with a reason.
    @Test func framesComeBackAndTruncationsAreRejected() throws {
        let entries: [RoutedFrameCodec.Entry] = [
            .init(.tick(sequence: 9, hour: 440_000), incident: nil),
            .init(.incident(sequence: 9, halo: false), incident: Array(#"{"id":"a"}"#.utf8)),
            .init(.incident(sequence: 10, halo: true), incident: []),
            .init(
                .cityOccurrences(
                    sequence: 11, index: 0, CityOccurrences(layerName: "Assault", week: 2_600, counts: [UInt32](repeating: 3, count: 168))),
                incident: nil),
            .init(.mark(sequence: 11), incident: nil)
        ]
        let bytes = RoutedFrameCodec.encode(entries)
        #expect(try RoutedFrameCodec.decode(bytes) == entries)
        #expect(try RoutedFrameCodec.decode(RoutedFrameCodec.encode([])) == [])
        for n in 0..<bytes.count {
            #expect(throws: MalformedStageMessage.self) { try RoutedFrameCodec.decode(Array(bytes[0..<n])) }
        }
        #expect(throws: MalformedStageMessage.self) { try RoutedFrameCodec.decode(bytes + [0]) }
        let orphan = RoutedFrameCodec.encode([.init(.incident(sequence: 1, halo: false), incident: nil)])
        #expect(throws: MalformedStageMessage(reason: "an incident message without its incident")) { try RoutedFrameCodec.decode(orphan) }
        var rng = SplitMix64(seed: 44)
        for _ in 0..<20_000 {
            var noise = (0..<Int(rng.next() % 96)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if !noise.isEmpty, rng.next() % 2 == 0 { noise[0] = RoutedFrameCodec.version }
            _ = try? RoutedFrameCodec.decode(noise)
        }
    }

    @Test func everyTruncationAndAnotherVersionIsAnErrorWithAReason() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<200 {
            let bytes = ScanOutputCodec.encode(Self.output(&rng))
            for n in 0..<bytes.count {
                #expect(throws: MalformedStageMessage.self) { try ScanOutputCodec.decode(Array(bytes[0..<n])) }
            }
            #expect(throws: MalformedStageMessage.self) { try ScanOutputCodec.decode(bytes + [0]) }
        }
        var other = RoutedMessageCodec.encode(.mark(sequence: 1))
        other[0] = 9
        #expect(throws: MalformedStageMessage(reason: "routed format 9, this build reads 1")) { try RoutedMessageCodec.decode(other) }
    }

    @Test func noiseNeverCrashes() {
        var rng = SplitMix64(seed: 43)
        for _ in 0..<20_000 {
            var bytes = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if !bytes.isEmpty, rng.next() % 2 == 0 { bytes[0] = 1 }
            _ = try? ScanOutputCodec.decode(bytes)
            _ = try? RoutedMessageCodec.decode(bytes)
        }
    }
}
