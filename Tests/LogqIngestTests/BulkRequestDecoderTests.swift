import LogqIndex
import LogqIngest
import Testing

@Suite struct BulkRequestDecoderTests {
    static func decode(_ lines: [String], index: String? = nil) -> ([LogRecord], [BulkRequestDecoder.Item]) {
        var decoder = BulkRequestDecoder(defaultIndex: index, idSeed: 0)
        var records: [LogRecord] = []
        for line in lines {
            Array(line.utf8).withUnsafeBytes { bytes in
                if let record = decoder.line(bytes, originalLength: bytes.count, receivedAt: 1) {
                    records.append(record)
                }
            }
        }
        decoder.finish()
        return (records, decoder.items)
    }

    @Test func pairsActionsWithTheirDocuments() {
        let (records, items) = Self.decode(
            [
                #"{ "index" : { "_index" : "a", "_id" : "1" } }"#, #"{"message":"one","level":"warn"}"#,
                #"{"delete":{"_id":"2"}}"#, #"{"update":{"_id":"3"}}"#, #"{"doc":{"x":1}}"#,
                #"{"create":{}}"#, #"{"message":"two"}"#,
            ], index: "path-index")
        #expect(records.map(\.message) == ["one", "two"])
        #expect(records[0].level == .warn)
        #expect(
            records.map { $0.fields.first { $0.name == "_index" }?.value } == [.string("a"), .string("path-index")])
        #expect(items.map(\.action) == ["index", "delete", "update", "create"])
        #expect(items.map(\.status) == [201, 400, 400, 201])
        #expect(items[0].id == "1")
    }

    @Test func nothingIsDroppedFromAGarbledBody() {
        let (records, items) = Self.decode(["not an action", #"{"index":{}}"#, "[1,2]", #"{"index":{}}"#])
        #expect(records.map(\.message) == ["not an action", "[1,2]"])
        #expect(records.allSatisfy { $0.fields.contains { $0.name == "_parse_error" } })
        #expect(items.map(\.status) == [201, 201, 400])
    }
}
