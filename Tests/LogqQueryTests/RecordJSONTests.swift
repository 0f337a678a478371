import Foundation
import LogqIndex
import Testing

@testable import LogqQuery

/// Records as NDJSON: every string JSON-escaped so that a parser gets back exactly what was stored.
@Suite struct RecordJSONTests {
    @Test(arguments: [
        "plain text", "a \"quoted\" word", "back\\slash", "two\nlines\r\n\tindented", "bell \u{07} and \u{1F}",
        "ünïcode ☕ 咖啡", "", "\u{00}",
    ])
    func stringsSurviveAParser(_ text: String) throws {
        let record = LogRecord(
            timestamp: 1_795_424_400_000_000_000, level: .error, service: "order", host: "h\"1", message: text,
            fields: [Field("note", .string(text)), Field("n", .int(-3)), Field("x", .double(.infinity))])
        let line = RecordJSON.encode(record)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == text)
        #expect(object["note"] as? String == text)
        #expect(object["host"] as? String == "h\"1")
        #expect(object["n"] as? Int == -3)
        #expect(object["x"] is NSNull)
        #expect(!line.contains("\n"), "one record, one line")
    }
}
