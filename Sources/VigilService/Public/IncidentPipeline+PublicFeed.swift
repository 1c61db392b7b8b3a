import VigilCore

extension IncidentPipeline {
    /// Issue 15: hands one accepted (or silently replayed) incident to the public feed, with the
    /// lowest watermark over the partitions this instance holds now: a period is released only once
    /// every held partition has passed its end, and a revoked partition (its engine dropped) no
    /// longer holds the feed back.
    func feedPublic(_ incident: Incident) throws {
        guard publicFeed != nil else { return }
        try feedPublic(incident, watermark: lowestWatermark())
    }

    /// `feedPublic` with the lowest watermark already read (a pipelined batch reads it once, when
    /// its engines are back: nothing changes them while its outputs are sent).
    func feedPublic(_ incident: Incident, watermark: Timestamp?) throws {
        try publicFeed?.accept(incident, watermark: watermark)
    }

    /// The lowest watermark over the engines at home.
    func lowestWatermark() -> Timestamp? {
        var lowest: Timestamp?
        for engine in engines.values {
            guard let w = engine.watermark.current else { continue }
            if lowest == nil || w < lowest! { lowest = w }
        }
        return lowest
    }
}
