/// Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF).
enum UTF8Validation {
    static func isValid(_ b: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 {
                i += 1
                continue
            }
            @inline(__always) func cont(_ k: Int) -> Bool { k < n && b[k] & 0xC0 == 0x80 }
            switch c {
            case 0xC2...0xDF:
                guard cont(i + 1) else { return false }
                i += 2
            case 0xE0...0xEF:
                guard cont(i + 1), cont(i + 2) else { return false }
                let c1 = b[i + 1]
                if c == 0xE0 && c1 < 0xA0 { return false }  // overlong
                if c == 0xED && c1 > 0x9F { return false }  // surrogates
                i += 3
            case 0xF0...0xF4:
                guard cont(i + 1), cont(i + 2), cont(i + 3) else { return false }
                let c1 = b[i + 1]
                if c == 0xF0 && c1 < 0x90 { return false }
                if c == 0xF4 && c1 > 0x8F { return false }
                i += 4
            default:
                return false
            }
        }
        return true
    }
}
