import Foundation
import Testing

@testable import VigilCore

@Suite("JSONWriter")
struct JSONWriterTests {
    func text(_ w: JSONWriter) -> String { String(decoding: w.bytes, as: UTF8.self) }

    @Test("commas go between members and elements, never after openers")
    func separators() {
        var w = JSONWriter()
        w.beginObject()
        w.key("a")
        w.int(1)
        w.key("b")
        w.beginArray()
        w.int(-2)
        w.bool(true)
        w.null()
        w.beginObject()
        w.endObject()
        w.beginArray()
        w.endArray()
        w.endArray()
        w.key("c")
        w.beginObject()
        w.dynamicKey("d\"e")
        w.bool(false)
        w.endObject()
        w.key("f")
        w.rawJSON(Array(#"{"x":[1]}"#.utf8))
        w.key("g")
        w.string("h")
        w.endObject()
        #expect(text(w) == #"{"a":1,"b":[-2,true,null,{},[]],"c":{"d\"e":false},"f":{"x":[1]},"g":"h"}"#)
        #expect((try? JSONSerialization.jsonObject(with: Data(w.bytes))) != nil)
    }

    @Test("top-level values in sequence are comma-separated")
    func sequence() {
        var w = JSONWriter()
        w.beginArray()
        w.string("a")
        w.timestamp(Timestamp(milliseconds: 1))
        w.double(0.1)
        w.endArray()
        #expect(text(w) == #"["a","1970-01-01T00:00:00.001Z",0.1]"#)
    }

    @Test(
        "string escaping",
        arguments: [
            ("plain", #""plain""#),
            ("q\"b\\", #""q\"b\\""#),
            ("\n\r\t", #""\n\r\t""#),
            ("\u{00}\u{01}\u{08}\u{0C}\u{1F}", #""\u0000\u0001\u0008\u000c\u001f""#),
            ("/\u{7F}é😀", "\"/\u{7F}é😀\""),
            ("\u{FEFF}x\u{2028}", "\"\u{FEFF}x\u{2028}\"")
        ])
    func escaping(value: String, json: String) {
        var w = JSONWriter()
        w.string(value)
        #expect(text(w) == json)
    }

    @Test("doubles: shortest round trip, non-finite as null, fixed decimals")
    func doubles() {
        var w = JSONWriter()
        w.beginArray()
        w.double(0.1)
        w.double(-79.59033164)
        w.double(250)
        w.double(.nan)
        w.double(.infinity)
        w.double(43.7123456789, decimals: 6)
        w.double(-79.5987654, decimals: 6)
        w.double(2.5, decimals: 0)
        w.double(.nan, decimals: 3)
        w.double(1.23456, decimals: 2)
        w.endArray()
        #expect(text(w) == "[0.1,-79.59033164,250.0,null,null,43.712346,-79.598765,3.0,null,1.23]")
    }

    /// Property: each double is written as its shortest round-tripping form (Swift's `description`),
    /// and the array as a whole is valid JSON. (Foundation's JSONSerialization on Linux does not
    /// read doubles back correctly rounded, so exactness is checked with `Double(text)`.)
    @Test("doubles are written in shortest round-trip form (random bit patterns)")
    func doubleRoundTrip() throws {
        var rng = SplitMix64(seed: 0xD0B1E)
        var all = JSONWriter()
        all.beginArray()
        var written = 0
        for _ in 0..<1000 {
            let v = Double(bitPattern: rng.next())
            guard v.isFinite else { continue }
            var w = JSONWriter()
            w.double(v)
            let t = text(w)
            #expect(Double(t)?.bitPattern == v.bitPattern, "\(t)")
            #expect(t == v.description)
            all.double(v)
            written += 1
        }
        all.endArray()
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(all.bytes)) as? [Any])
        #expect(parsed.count == written)
    }

    @Test("ints")
    func ints() {
        var w = JSONWriter()
        w.beginArray()
        w.int(0)
        w.int(Int.max)
        w.int(Int.min)
        w.endArray()
        #expect(text(w) == "[0,\(Int.max),\(Int.min)]")
    }
}
