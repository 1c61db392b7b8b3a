/// Integer division rounded down (toward negative infinity) by a positive divisor, where Swift's
/// `/` truncates toward zero.
///
/// Why: event times before 1970 are negative milliseconds, and a bucket, hour, day or period index
/// must still be the one whose span contains the instant (-1 ms lies in bucket -1, not 0). One
/// definition for every index computed from a time, so they all agree on negative inputs.
@inline(__always) func floorDivide<T: FixedWidthInteger & SignedInteger>(_ a: T, _ b: T) -> T {
    assert(b > 0, "floorDivide takes a positive divisor")
    let q = a / b
    return a % b < 0 ? q - 1 : q
}

/// The remainder that goes with `floorDivide`: `a - floorDivide(a, b) * b`, always in `0..<b`
/// (a ring position, an hour of the week, a day of the week), where Swift's `%` takes `a`'s sign.
@inline(__always) func floorModulo<T: FixedWidthInteger & SignedInteger>(_ a: T, _ b: T) -> T {
    assert(b > 0, "floorModulo takes a positive divisor")
    let r = a % b
    return r < 0 ? r + b : r
}
