import Foundation
import Testing

@testable import LogqParsers

@Suite struct JSONObjectScannerTests {
    func parse(_ text: String) -> [(key: String, value: JSONObjectScanner.Value)]? {
        var text = text
        return text.withUTF8 { JSONObjectScanner.parse(UnsafeRawBufferPointer($0)) }
    }

    @Test func flattensNestedObjectsAndKeepsArraysAsText() throws {
        let pairs = try #require(
            parse(#" {"a":1,"b":{"c":"x","d":{"e":-2.5e3}},"f":[1,{"g":2},[]],"h":true,"i":null} "#))
        #expect(pairs.map(\.key) == ["a", "b.c", "b.d.e", "f", "h", "i"])
        #expect(pairs[0].value == .int(1))
        #expect(pairs[1].value == .string("x"))
        #expect(pairs[2].value == .double(-2500))
        #expect(pairs[3].value == .raw(#"[1,{"g":2},[]]"#))
        #expect(pairs[4].value == .bool(true))
        #expect(pairs[5].value == .null)
    }

    @Test func unescapesStrings() throws {
        let pairs = try #require(parse(#"{"m":"a\"b\\c\/d\n\t\u00e9\ud83d\ude00 \ud800x"}"#))
        #expect(pairs[0].value == .string("a\"b\\c/d\n\té😀 \u{FFFD}x"))
    }

    @Test(arguments: [
        "", "{", "}", "[]", "{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":tru}",
        "{\"a\":\"x\ny\"}", "{\"a\":1} x", "{a:1}", "{\"a\":\"\\q\"}", "{\"a\":[1,]}", "\"x\"",
        String(repeating: "{\"a\":", count: 40) + "1" + String(repeating: "}", count: 40),
    ])
    func rejectsWhatIsNotOneObject(text: String) {
        #expect(parse(text) == nil, "\(text)")
    }

    @Test func largeIntegersBecomeDoubles() throws {
        let pairs = try #require(parse(#"{"a":9223372036854775807,"b":9223372036854775808,"c":-9223372036854775807}"#))
        #expect(pairs[0].value == .int(Int64.max))
        #expect(pairs[1].value == .double(9_223_372_036_854_775_808))
        #expect(pairs[2].value == .int(-Int64.max))
    }

    /// Agrees with Foundation's parser on what is valid, over generated platform lines and mutations of them.
    @Test func agreesWithFoundationOnValidity() {
        let samples = [
            #"{"@timestamp":"2026-11-23T09:00:00.001Z","level":"INFO","service":"member","message":"Member login","n":3}"#,
            #"{"a":[1,2,{"b":"c"}],"d":{"e":null},"f":-0.5}"#,
        ]
        var state: UInt64 = 1
        for sample in samples {
            for _ in 0..<500 {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                var bytes = Array(sample.utf8)
                let index = Int(state >> 33) % bytes.count
                let replacement = Array("{}[]\",:0a-.e\\ ".utf8)[Int(state >> 40) % 14]
                bytes[index] = replacement
                let ours = bytes.withUnsafeBytes { JSONObjectScanner.parse($0) } != nil
                let theirs = (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any]
                #expect(ours == theirs, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }
}
