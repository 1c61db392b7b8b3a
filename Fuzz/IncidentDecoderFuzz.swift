// libFuzzer entry for the incident decoder: every byte string must decode to a valid incident or
// fail with a reason, never crash, never hang, never decode two ways. Built with VigilCore's
// sources by tools/fuzz.sh (swiftc -sanitize=fuzzer,address); not part of the package.

let decoder = IncidentDecoder(maxMessageBytes: 4096, bounds: GeoBounds(south: 43.58, west: -79.64, north: 43.86, east: -79.11))

@_cdecl("LLVMFuzzerTestOneInput")
public func incidentDecoderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let first = decoder.decode(bytes)
    let second = decoder.decode(Array(bytes))
    precondition(first == second, "decoding is deterministic and independent of the buffer")
    switch first {
    case .success(let incident):
        precondition(!incident.id.isEmpty && !incident.category.isEmpty, "required strings are non-empty")
        precondition(decoder.bounds.contains(latitude: incident.latitude, longitude: incident.longitude), "accepted incidents are in bounds")
        precondition(decoder.plausibleTimes.contains(incident.eventTime), "accepted event times are plausible")
        precondition(decoder.validate(incident) == .success(incident), "what decodes also validates")
        precondition(size <= decoder.maxMessageBytes, "oversized messages never decode")
    case .failure(let error):
        precondition(!error.message.isEmpty, "every failure says why")
    }
    return 0
}
