import Testing
import VigilKafka

@testable import VigilService

/// A poison message of 1.2 MB (issue 12): its dead letter must fit the topic.
@Suite("Dead letters: truncated to fit, with the original's length, SHA-256 and offset")
struct DeadLetterTests {
    @Test func sha256MatchesKnownDigests() {
        // Reference digests from Python's hashlib (FIPS 180-4 vectors and padding edges).
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 55)) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 64)) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
        #expect(SHA256.hex((0..<1_200_000).map { UInt8($0 % 251) }) == "7b30b0e3bdc9398dead57d36d66dfa731e362446f95a6cc1280f398bf5df455d")
    }

    @Test func aLargeMessageIsCutToTheLimitAndDescribedInHeaders() {
        let payload = (0..<1_200_000).map { UInt8($0 % 251) }
        let source = KafkaMessage(topic: "incidents", partition: 0, offset: 50, timestamp: 1, key: Array("k".utf8), value: payload)
        let letter = OutputMessages.deadLetter(
            source, reason: "too_large", field: nil, message: "1200000 bytes", topic: "dlq", maxBytes: 65_536)
        #expect(letter.value == Array(payload.prefix(65_536)))
        func header(_ name: String) -> String? { letter.headers.last { $0.name == name }?.stringValue }
        #expect(header("vigil.payload.truncated") == "true")
        #expect(header("vigil.payload.length") == "1200000")
        #expect(header("vigil.payload.sha256") == "7b30b0e3bdc9398dead57d36d66dfa731e362446f95a6cc1280f398bf5df455d")
        #expect(header("vigil.source.offset") == "50")
        #expect(header("vigil.error.reason") == "too_large")
        let total = (letter.value?.count ?? 0) + letter.headers.reduce(0) { $0 + $1.name.utf8.count + ($1.value?.count ?? 0) }
        #expect(total < 1_000_000 - 65_536, "fits librdkafka's default message.max.bytes with room to spare")
    }

    @Test func aSmallMessageIsCopiedUnchangedWithoutTruncationHeaders() {
        let source = KafkaMessage(
            topic: "incidents", partition: 2, offset: 7, value: Array("{\"x\":1}".utf8), headers: [KafkaHeader("h", "v")])
        let letter = OutputMessages.deadLetter(source, reason: "missing_field", field: "id", message: "m", topic: "dlq", maxBytes: 65_536)
        #expect(letter.value == source.value)
        #expect(letter.headers.first == KafkaHeader("h", "v"))
        #expect(!letter.headers.contains { $0.name == "vigil.payload.truncated" })
    }

    @Test func hugeInputHeadersAreDroppedNotCopied() {
        let source = KafkaMessage(
            topic: "incidents", partition: 0, offset: 1, value: [1],
            headers: [KafkaHeader("big", [UInt8](repeating: 1, count: 100_000))])
        let letter = OutputMessages.deadLetter(source, reason: "r", field: nil, message: "m", topic: "dlq", maxBytes: 65_536)
        #expect(!letter.headers.contains { $0.name == "big" })
        #expect(letter.headers.contains { $0.name == "vigil.source.headers_dropped" })
    }
}
