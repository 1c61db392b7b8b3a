/// Hour and week indices of the scan (UTC hours since the epoch; weeks of 168 hours).
enum ClusterTime {
    static let hourMilliseconds: Int64 = 3_600_000
    static let hoursPerWeek: Int64 = 168

    @inline(__always) static func hour(of time: Timestamp) -> Int64 { floorDivide(time.milliseconds, hourMilliseconds) }
    @inline(__always) static func week(ofHour hour: Int64) -> Int64 { floorDivide(hour, hoursPerWeek) }
    @inline(__always) static func hourOfWeek(_ hour: Int64) -> Int { Int(floorModulo(hour, hoursPerWeek)) }
    static func start(ofHour hour: Int64) -> Timestamp { Timestamp(milliseconds: hour * hourMilliseconds) }
}
