/// A strict, allocation-light JSON reader over borrowed bytes (RFC 8259), used by the decoders.
///
/// It reads exactly what the decoder asks for and skips everything else while still validating
/// it, so a message with unknown extra fields costs little and a malformed one is always caught.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    var index = 0
    static let maxDepth = 64

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { index >= bytes.count }

    @inline(__always) mutating func skipWhitespace() {
        while index < bytes.count {
            let c = bytes[index]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            index += 1
        }
    }

    @inline(__always) func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    func fail(_ what: String) -> DecodeError {
        DecodeError(.malformedJSON, "\(what) at byte \(index)")
    }

    mutating func expect(_ c: UInt8, _ what: String) throws(DecodeError) {
        skipWhitespace()
        guard peek() == c else { throw fail("expected \(what)") }
        index += 1
    }

    /// Reads a string and returns the raw byte range between the quotes plus whether it has escapes.
    mutating func scanString() throws(DecodeError) -> (start: Int, end: Int, escaped: Bool) {
        guard peek() == 0x22 else { throw fail("expected string") }
        index += 1
        let start = index
        var escaped = false
        var nonASCII = false
        while index < bytes.count {
            // Eight bytes at a time: skip the plain ones before the first quote, backslash or
            // control byte, which the byte path below then reads.
            if index &+ 8 <= bytes.count {
                let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let special = Self.quoteBackslashOrControl(word)
                let plain = special == 0 ? 8 : special.trailingZeroBitCount &>> 3
                let skipped = plain == 8 ? word : word & ((1 &<< (UInt64(plain) &<< 3)) &- 1)
                if skipped & 0x8080_8080_8080_8080 != 0 { nonASCII = true }
                index &+= plain
                if plain == 8 { continue }
            }
            let c = bytes[index]
            if c == 0x22 {
                let end = index
                index += 1
                if nonASCII, !UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) {
                    throw DecodeError(.invalidUTF8, "string at byte \(start) is not valid UTF-8")
                }
                return (start, end, escaped)
            }
            if c == 0x5C {
                escaped = true
                guard index + 1 < bytes.count else { throw fail("unterminated escape") }
                switch bytes[index + 1] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
                    index += 2
                case 0x75:
                    guard index + 6 <= bytes.count else { throw fail("short \\u escape") }
                    for k in (index + 2)..<(index + 6) {
                        let h = bytes[k]
                        guard (h >= 48 && h <= 57) || (h >= 65 && h <= 70) || (h >= 97 && h <= 102) else {
                            throw fail("bad hex digit in \\u escape")
                        }
                    }
                    index += 6
                default:
                    throw fail("invalid escape")
                }
                continue
            }
            if c < 0x20 { throw fail("control character in string") }
            if c >= 0x80 { nonASCII = true }
            index += 1
        }
        throw fail("unterminated string")
    }

    /// The high bit of each byte of `word` (little-endian: the first byte is the lowest) that is
    /// `"` (0x22), `\\` (0x5C) or below 0x20, exact up to the first such byte: a byte is zero in
    /// `x` when `(x - 0x01…) & ~x & 0x80…` marks it, below 0x20 when `(x - 0x20…) & ~x & 0x80…`
    /// does, and a borrow can only mark bytes above one that already matched.
    @inline(__always) static func quoteBackslashOrControl(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = word ^ (0x22 &* ones)
        let backslash = word ^ (0x5C &* ones)
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        let control = (word &- 0x20 &* ones) & ~word
        return (zeroQuote | zeroBackslash | control) & 0x8080_8080_8080_8080
    }

    /// Reads a string value as a Swift `String`, resolving escapes (including surrogate pairs).
    mutating func readString() throws(DecodeError) -> String {
        let (start, end, escaped) = try scanString()
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        if !escaped { return String(decoding: raw, as: UTF8.self) }
        return try Self.unescape(raw, at: start)
    }

    static func unescape(_ raw: UnsafeRawBufferPointer, at offset: Int) throws(DecodeError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        func bad(_ m: String) -> DecodeError { DecodeError(.malformedJSON, "\(m) in string at byte \(offset + i)") }
        func hex4(_ at: Int) throws(DecodeError) -> UInt32 {
            guard at + 4 <= raw.count else { throw bad("short \\u escape") }
            var v: UInt32 = 0
            for k in at..<(at + 4) {
                let c = raw[k]
                let d: UInt32
                switch c {
                case 48...57: d = UInt32(c - 48)
                case 65...70: d = UInt32(c - 55)
                case 97...102: d = UInt32(c - 87)
                default: throw bad("bad hex digit")
                }
                v = v << 4 | d
            }
            return v
        }
        while i < raw.count {
            let c = raw[i]
            guard c == 0x5C else {
                out.append(c)
                i += 1
                continue
            }
            guard i + 1 < raw.count else { throw bad("dangling escape") }
            let e = raw[i + 1]
            i += 2
            switch e {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x2F: out.append(0x2F)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = try hex4(i)
                i += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 6 <= raw.count, raw[i] == 0x5C, raw[i + 1] == 0x75 else { throw bad("lone high surrogate") }
                    let low = try hex4(i + 2)
                    guard (0xDC00...0xDFFF).contains(low) else { throw bad("bad low surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw bad("lone low surrogate")
                }
                guard let u = Unicode.Scalar(scalar) else { throw bad("invalid scalar") }
                out.append(contentsOf: UTF8.encode(u)!)
            default: throw bad("unknown escape")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads a JSON number as a Double; exact (correctly rounded) for every input.
    mutating func readNumber() throws(DecodeError) -> Double {
        let start = index
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var negative = false
        if peek() == 0x2D {
            negative = true
            index += 1
        }
        guard let first = peek(), first >= 48, first <= 57 else { throw fail("expected number") }
        if first == 48 {
            index += 1
            if let c = peek(), c >= 48, c <= 57 { throw fail("leading zero in number") }
        } else {
            while let c = peek(), c >= 48, c <= 57 {
                if digits < 19 { mantissa = mantissa * 10 + UInt64(c - 48) }
                digits += 1
                index += 1
            }
        }
        if peek() == 0x2E {
            index += 1
            var any = false
            while let c = peek(), c >= 48, c <= 57 {
                if digits < 19 {
                    mantissa = mantissa * 10 + UInt64(c - 48)
                    fractionDigits += 1
                }
                if mantissa != 0 || c != 48 { digits += 1 }
                any = true
                index += 1
            }
            guard any else { throw fail("expected digit after decimal point") }
        }
        var hasExponent = false
        if let c = peek(), c == 0x65 || c == 0x45 {
            hasExponent = true
            index += 1
            if let s = peek(), s == 0x2B || s == 0x2D { index += 1 }
            var any = false
            while let c = peek(), c >= 48, c <= 57 {
                any = true
                index += 1
            }
            guard any else { throw fail("expected exponent digits") }
        }
        // Clinger's fast path: an exactly representable integer divided by an exact power of ten
        // is correctly rounded by one IEEE division.
        if !hasExponent, digits <= 15, fractionDigits <= 22 {
            let value = Double(mantissa) / Self.powersOfTen[fractionDigits]
            return negative ? -value : value
        }
        return try slowNumber(start)
    }

    private static let powersOfTen: [Double] = (0...22).map { p in (0..<p).reduce(1.0) { acc, _ in acc * 10 } }

    private func slowNumber(_ start: Int) throws(DecodeError) -> Double {
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw DecodeError(.malformedJSON, "number out of range at byte \(start)") }
        return value
    }

    /// Skips any JSON value, validating it.
    mutating func skipValue(depth: Int = 0) throws(DecodeError) {
        guard depth < Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        skipWhitespace()
        guard let c = peek() else { throw fail("expected value") }
        switch c {
        case 0x22: _ = try scanString()
        case 0x7B:
            index += 1
            skipWhitespace()
            if peek() == 0x7D {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                _ = try scanString()
                try expect(0x3A, "':'")
                try skipValue(depth: depth + 1)
                skipWhitespace()
                if peek() == 0x2C {
                    index += 1
                    continue
                }
                try expect(0x7D, "'}' or ','")
                return
            }
        case 0x5B:
            index += 1
            skipWhitespace()
            if peek() == 0x5D {
                index += 1
                return
            }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                if peek() == 0x2C {
                    index += 1
                    continue
                }
                try expect(0x5D, "']' or ','")
                return
            }
        case 0x74: try literal("true")
        case 0x66: try literal("false")
        case 0x6E: try literal("null")
        default: _ = try readNumber()
        }
    }

    mutating func literal(_ word: StaticString) throws(DecodeError) {
        let n = word.utf8CodeUnitCount
        guard index + n <= bytes.count else { throw fail("truncated literal") }
        let p = word.utf8Start
        for k in 0..<n where bytes[index + k] != p[k] { throw fail("invalid literal") }
        index += n
    }

    /// A short name for the JSON type of the value at the cursor (for "wrong type" messages).
    func typeName() -> String {
        switch peek() {
        case 0x22: "string"
        case 0x7B: "object"
        case 0x5B: "array"
        case 0x74, 0x66: "boolean"
        case 0x6E: "null"
        case nil: "nothing"
        case 0x2D, .some(48...57): "number"
        default: "invalid JSON"
        }
    }

    /// True when a complete, valid JSON value starts at the cursor (checked on a copy).
    func hasValidValue() -> Bool {
        var probe = self
        do {
            try probe.skipValue()
            return true
        } catch { return false }
    }
}
