/// The consumer group's state from librdkafka's statistics (`statistics.interval.ms`, the `cgrp`
/// object of its JSON): whether the member's group membership is settled.
///
/// Why: a group can stay in a rebalance that never completes (a coordinator that keeps answering
/// REBALANCE_IN_PROGRESS, a departed leader it still waits for) while the member keeps what it
/// owned. Nothing else a consumer exposes says so: no rebalance callback comes, polls return
/// normally, the partitions it should take over are simply never assigned.
public struct ConsumerGroupStatistics: Sendable, Equatable {
    /// librdkafka's `cgrp.state`: the coordinator handshake ("up" once the coordinator is known).
    public var state: String
    /// librdkafka's `cgrp.join_state`: "steady" when the member is settled in the group; "init",
    /// "wait-join", "wait-metadata", "wait-sync", "wait-assign-call", ... while it (re)joins.
    public var joinState: String

    public init(state: String, joinState: String) {
        self.state = state
        self.joinState = joinState
    }

    /// Settled in the group: a member that is steady consumes what it was assigned, and a
    /// rebalance has nothing left to hand it.
    public var isSteady: Bool { joinState == "steady" }

    /// The `cgrp` object of one statistics JSON document, or nil when it has none (a producer, a
    /// consumer without a group) or is cut short. A targeted scan, not a JSON parser: the document
    /// is several kilobytes every interval, `cgrp` holds only scalars, its keys are unique in it,
    /// and librdkafka writes `"key": value` with a space (tolerated either way).
    public init?(statisticsJSON json: some Collection<UInt8>) {
        let bytes = Array(json)
        guard let key = Self.value(of: "cgrp", in: bytes[...]), bytes[key] == UInt8(ascii: "{"),
            let end = Self.endOfObject(bytes, from: key)
        else { return nil }
        let object = bytes[key...end]
        guard let state = Self.string("state", in: object), let joinState = Self.string("join_state", in: object) else { return nil }
        self.init(state: state, joinState: joinState)
    }

    /// The string value of `"key"` in `object`.
    private static func string(_ key: String, in object: ArraySlice<UInt8>) -> String? {
        guard let start = value(of: key, in: object), object[start] == UInt8(ascii: "\""),
            let end = object[(start + 1)...].firstIndex(of: UInt8(ascii: "\""))
        else { return nil }
        return String(decoding: object[(start + 1)..<end], as: UTF8.self)
    }

    /// Where the value of the first `"key"` in `text` starts (after the colon and any spaces).
    private static func value(of key: String, in text: ArraySlice<UInt8>) -> Int? {
        let needle = Array("\"\(key)\"".utf8)
        var i = text.startIndex
        while i + needle.count <= text.endIndex {
            if text[i..<(i + needle.count)].elementsEqual(needle) {
                var j = i + needle.count
                while j < text.endIndex, text[j] == UInt8(ascii: " ") { j += 1 }
                if j < text.endIndex, text[j] == UInt8(ascii: ":") {
                    j += 1
                    while j < text.endIndex, text[j] == UInt8(ascii: " ") { j += 1 }
                    return j < text.endIndex ? j : nil
                }
            }
            i += 1
        }
        return nil
    }

    /// The `}` closing the object that opens at `open`, skipping strings (a rebalance reason is free text).
    private static func endOfObject(_ bytes: [UInt8], from open: Int) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        for i in open..<bytes.count {
            let c = bytes[i]
            if inString {
                if escaped {
                    escaped = false
                } else if c == UInt8(ascii: "\\") {
                    escaped = true
                } else if c == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch c {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { return i }
            default: break
            }
        }
        return nil
    }
}
