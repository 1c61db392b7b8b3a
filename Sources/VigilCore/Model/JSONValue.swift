/// A parsed JSON document, for model files (loaded rarely, so clarity beats speed here).
///
/// Numbers keep their source text: a model's float32 thresholds must be parsed straight to
/// `Float` (parsing to `Double` first can round twice and land on a neighbouring float).
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses a complete document; throws `ModelError` with the byte offset of the problem.
    public static func parse(_ bytes: [UInt8]) throws(ModelError) -> JSONValue {
        let result: Result<JSONValue, DecodeError> = bytes.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw)
            do throws(DecodeError) {
                let value = try read(&scanner, depth: 0)
                scanner.skipWhitespace()
                guard scanner.isAtEnd else { throw scanner.fail("trailing data") }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let value): return value
        case .failure(let error): throw ModelError(.malformed, "not valid JSON: \(error.message)")
        }
    }

    private static func read(_ s: inout JSONScanner, depth: Int) throws(DecodeError) -> JSONValue {
        guard depth < JSONScanner.maxDepth else { throw s.fail("nesting deeper than \(JSONScanner.maxDepth)") }
        s.skipWhitespace()
        guard let c = s.peek() else { throw s.fail("expected value") }
        switch c {
        case 0x22: return .string(try s.readString())
        case 0x7B:
            s.index += 1
            var out: [String: JSONValue] = [:]
            s.skipWhitespace()
            if s.peek() == 0x7D {
                s.index += 1
                return .object(out)
            }
            while true {
                s.skipWhitespace()
                let key = try s.readString()
                try s.expect(0x3A, "':'")
                out[key] = try read(&s, depth: depth + 1)
                s.skipWhitespace()
                if s.peek() == 0x2C {
                    s.index += 1
                    continue
                }
                try s.expect(0x7D, "'}' or ','")
                return .object(out)
            }
        case 0x5B:
            s.index += 1
            var out: [JSONValue] = []
            s.skipWhitespace()
            if s.peek() == 0x5D {
                s.index += 1
                return .array(out)
            }
            while true {
                out.append(try read(&s, depth: depth + 1))
                s.skipWhitespace()
                if s.peek() == 0x2C {
                    s.index += 1
                    continue
                }
                try s.expect(0x5D, "']' or ','")
                return .array(out)
            }
        case 0x74:
            try s.literal("true")
            return .bool(true)
        case 0x66:
            try s.literal("false")
            return .bool(false)
        case 0x6E:
            try s.literal("null")
            return .null
        default:
            let start = s.index
            _ = try s.readNumber()
            return .number(String(decoding: UnsafeRawBufferPointer(rebasing: s.bytes[start..<s.index]), as: UTF8.self))
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    public var array: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
    public var double: Double? {
        if case .number(let t) = self { return Double(t) }
        return nil
    }
    public var float: Float? {
        if case .number(let t) = self { return Float(t) }
        return nil
    }
    public var int: Int? {
        if case .number(let t) = self { return Int(t) ?? Double(t).flatMap { $0 == $0.rounded() && abs($0) < 1e15 ? Int($0) : nil } }
        return nil
    }
}
