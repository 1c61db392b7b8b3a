/// Header names on the tile layout's internal topics.
enum StageHeaders {
    /// A routed message's envelope (`RoutedMessageCodec`); an incident's own bytes are the value.
    static let route = "vigil.route"
    /// A frame of routed messages (`RoutedFrameCodec`), what the router sends: the value is the frame.
    static let frame = "vigil.route.frame"
}
