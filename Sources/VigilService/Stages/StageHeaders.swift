/// Header names on the tile layout's internal topics.
enum StageHeaders {
    /// A routed message's envelope (`RoutedMessageCodec`); an incident's own bytes are the value.
    static let route = "vigil.route"
}
