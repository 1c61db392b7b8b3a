/// Parsing and formatting of RFC 3339 timestamps without Foundation, for the decoder's hot path.
public enum RFC3339 {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; `t`, `z` and a space separator are accepted.
    /// Returns nil for anything else, including impossible dates (Feb 30) and offsets beyond ±23:59.
    public static func parse(_ b: UnsafeRawBufferPointer) -> Timestamp? {
        let n = b.count
        guard n >= 20 else { return nil }
        @inline(__always) func digit(_ i: Int) -> Int? {
            let c = b[i]
            return c >= 48 && c <= 57 ? Int(c - 48) : nil
        }
        @inline(__always) func number(_ i: Int, _ len: Int) -> Int? {
            var v = 0
            for k in i..<(i + len) {
                guard let d = digit(k) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard let year = number(0, 4), b[4] == 45, let month = number(5, 2), b[7] == 45, let day = number(8, 2),
            b[10] == 84 || b[10] == 116 || b[10] == 32,
            let hour = number(11, 2), b[13] == 58, let minute = number(14, 2), b[16] == 58, let second = number(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var i = 19
        var millis = 0
        if i < n, b[i] == 46 {  // fraction: keep milliseconds, ignore finer digits
            i += 1
            var digits = 0
            while i < n, let d = digit(i) {
                if digits < 3 { millis = millis * 10 + d }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if digits < 3 { for _ in digits..<3 { millis *= 10 } }
        }
        guard i < n else { return nil }
        var offsetSeconds = 0
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45, i + 6 <= n, let oh = number(i + 1, 2), b[i + 3] == 58, let om = number(i + 4, 2),
            oh <= 23, om <= 59
        {
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == 45 ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == n else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let secs = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offsetSeconds)
        return Timestamp(milliseconds: secs * 1000 + Int64(millis))
    }

    public static func parse(_ text: String) -> Timestamp? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// `2021-03-04T13:00:00Z`, with `.SSS` only when the milliseconds are not zero.
    public static func format(_ t: Timestamp) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        append(t, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the formatted time to a byte buffer (no allocation beyond the buffer's growth).
    public static func append(_ t: Timestamp, to out: inout [UInt8]) {
        let ms = t.milliseconds
        let secs = floorDivide(ms, 1000)
        let millis = Int(ms - secs * 1000)
        let days = floorDivide(secs, 86400)
        let sod = Int(secs - days * 86400)
        let (y, m, d) = civilFromDays(Int(days))
        func put(_ v: Int, _ width: Int) {
            var digits = [UInt8](repeating: 48, count: width)
            var v = v
            for k in stride(from: width - 1, through: 0, by: -1) {
                digits[k] = UInt8(48 + v % 10)
                v /= 10
            }
            out.append(contentsOf: digits)
        }
        put(y, 4)
        out.append(45)
        put(m, 2)
        out.append(45)
        put(d, 2)
        out.append(84)
        put(sod / 3600, 2)
        out.append(58)
        put(sod / 60 % 60, 2)
        out.append(58)
        put(sod % 60, 2)
        if millis != 0 {
            out.append(46)
            put(millis, 3)
        }
        out.append(90)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civilFromDays(_ z: Int) -> (year: Int, month: Int, day: Int) {
        let z = z + 719_468
        let era = floorDivide(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
