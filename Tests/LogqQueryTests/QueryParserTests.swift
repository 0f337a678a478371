import LogqQuery
import Testing

@Suite struct QueryParserTests {
    @Test(arguments: [
        ("*", [Filter]()),
        ("level:error service:order", [.field("level", "error"), .field("service", "order")]),
        ("level:ERROR AND service:order", [.field("level", "error"), .field("service", "order")]),
        ("timeout", [.words("timeout")]),
        ("\"Lock wait timeout\"", [.words("Lock wait timeout")]),
        ("message:\"lock wait\" status:504", [.words("lock wait"), .field("status", "504")]),
        ("path:\"/api/order v1\"", [.field("path", "/api/order v1")]),
        (
            "traceId:0c5c7fd0a6a3a450 orderId=O22633920",
            [.field("traceId", "0c5c7fd0a6a3a450"), .words("orderId=O22633920")]
        ),
        ("a\\:b", [.words("a:b")]),
    ])
    func parses(text: String, filters: [Filter]) throws {
        #expect(try Query.parse(text) == Query(filters: filters))
    }

    @Test(arguments: [
        "*", "level:error service:order", "\"lock wait timeout\"", "path:\"/a b\"", "x:\"say \\\"hi\\\"\"", "word",
        "host:\"AND\"", "_msg:timeout", "service:\"ord*\"", "path:\"/x/\"", "n:\">5\"",
    ])
    func printsCanonicalSyntaxThatParsesBack(text: String) throws {
        let query = try Query.parse(text)
        #expect(try Query.parse(query.description) == query)
    }

    @Test(arguments: [
        ("", 0, "empty query"),
        ("level:error \"unterminated", 12, "unterminated quote"),
        ("level:", 6, "a value is missing"),
        (":error", 0, "a field name is missing"),
        ("level:error (a)", 12, "parentheses"),
        ("a OR b", 2, "OR is not supported"),
        ("service:ord*", 8, "prefix"),
        ("-level:debug", 0, "negation"),
        ("* | count", 2, "pipes"),
        ("AND x", 0, "AND needs a term"),
        ("!!!", 0, "no letters or digits"),
    ])
    func rejectsWithPosition(text: String, position: Int, message: String) {
        do {
            _ = try Query.parse(text)
            Issue.record("'\(text)' parsed")
        } catch {
            #expect(error.position == position, "\(text)")
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func caretPointsAtTheProblem() {
        let error = QueryError(message: "unterminated quote", position: 4)
        #expect(error.pointing(into: "abc \"x") == "abc \"x\n    ^ unterminated quote")
    }
}
