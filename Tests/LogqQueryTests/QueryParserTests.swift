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

    @Test func booleanOperatorsAndPrecedence() throws {
        let error = QueryNode.filter(.field("level", "error"))
        let order = QueryNode.filter(.field("service", "order"))
        let payment = QueryNode.filter(.field("service", "payment"))
        let debug = QueryNode.filter(.field("level", "debug"))
        #expect(
            try Query.parse("level:error AND (service:order OR service:payment)").root
                == .and([error, .or([order, payment])]))
        #expect(
            try Query.parse("level:error service:order OR service:payment").root
                == .or([.and([error, order]), payment]))
        #expect(try Query.parse("NOT level:debug").root == .not(debug))
        #expect(try Query.parse("-level:debug service:order").root == .and([.not(debug), order]))
        #expect(try Query.parse("NOT (level:debug OR level:error)").root == .not(.or([debug, error])))
        #expect(try Query.parse("service:ord*").root == .filter(.fieldPrefix(field: "service", prefix: "ord")))
        #expect(try Query.parse("Time*").root == .filter(.fieldPrefix(field: "_msg", prefix: "time")))
        #expect(try Query.parse("traceId:*").root == .filter(.fieldExists(field: "traceId")))
        #expect(
            try Query.parse("status:>=500").root
                == .filter(.numericRange(field: "status", range: NumericRange(lower: 500))))
        #expect(
            try Query.parse("duration_ms:<5000").root
                == .filter(.numericRange(field: "duration_ms", range: NumericRange(upper: 5000, upperInclusive: false)))
        )
        #expect(
            try Query.parse("status:[500 TO 599]").root
                == .filter(.numericRange(field: "status", range: NumericRange(lower: 500, upper: 599))))
        #expect(try Query.parse("* level:error").root == error)
    }

    @Test func timeFilters() throws {
        let now: Int64 = 1_795_426_867_000_000_000
        #expect(
            try Query.parse("_time:15m", now: now).root == .filter(.timeRange(from: now - 900_000_000_000, to: nil)))
        #expect(
            try Query.parse("_time:[2026-11-23T09:40+08:00 TO 2026-11-23T09:52:30+08:00]").root
                == .filter(.timeRange(from: 1_795_398_000_000_000_000, to: 1_795_398_750_000_000_000)))
        #expect(
            try Query.parse("_time:[2026-11-23T09:40 TO *]").root
                == .filter(.timeRange(from: 1_795_426_800_000_000_000, to: nil)))
        #expect(
            try Query.parse("_time:[2026-11-23 TO 2026-11-24]").root
                == .filter(.timeRange(from: 1_795_392_000_000_000_000, to: 1_795_478_400_000_000_000)))
        let printed = try Query.parse("_time:[2026-11-23T09:40 TO *] level:error").description
        #expect(printed == "_time:[2026-11-23T09:40:00Z TO *] level:error")
        #expect(try Query.parse(printed).description == printed)
        #expect(throws: QueryError.self) { try Query.parse("_time:[2026-11-24 TO 2026-11-23]") }
        #expect(throws: QueryError.self) { try Query.parse("_time:soon") }
        #expect(throws: QueryError.self) { try Query.parse("_time:[yesterday TO *]") }
    }

    @Test(arguments: [
        "a OR b c", "NOT (a OR b)", "(a OR b) (c OR d)", "status:[1.5 TO 2]", "x:>3 y:<=4 z:*", "svc:ord* -level:debug",
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
        ("(a", 0, "missing ')'"),
        ("a)", 1, "')' without"),
        ("a OR", 4, "a term is missing"),
        ("a NOT", 5, "a term is missing"),
        ("\nNOT", 4, "a term is missing"),
        ("x:[1 TO]", 7, "a number is expected"),
        ("x:[5 TO 1]", 2, "lower end is above"),
        ("x:>abc", 3, "a number is expected"),
        ("x:/re(.*/", 8, "invalid regex: missing closing parenthesis"),
        ("* | count by x", 13, "expected '('"),
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
