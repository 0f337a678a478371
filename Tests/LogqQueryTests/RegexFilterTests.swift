import LogqIndex
import Testing

@testable import LogqQuery

@Suite struct RegexFilterTests {
    @Test func parsesPrintsAndMatches() throws {
        let query = try Query.parse(#"service:/^ord(er)?s$/ /Lock wait \/ timeout/ level:error"#)
        #expect(query.description == #"service:/^ord(er)?s$/ /Lock wait \/ timeout/ level:error"#)
        #expect(try Query.parse(query.description) == query)
        guard case .and(let children) = query.root, case .filter(.regex(let field, let regex)) = children[1] else {
            Issue.record("expected a message regex: \(query.root)")
            return
        }
        #expect(field == "_msg")
        #expect(regex.matches("Lock wait / timeout exceeded"))
        #expect(!regex.matches("lock wait / timeout exceeded"), "case-sensitive unless (?i)")
        #expect(try QueryRegex("(?i)lock WAIT").matches("Lock wait"))
    }

    @Test func requiredLiteralsAreOnlyWhatEveryMatchContains() {
        #expect(
            QueryRegex.requiredLiteral(of: "Payment failed for order \\d+") == Array("Payment failed for order ".utf8))
        #expect(QueryRegex.requiredLiteral(of: "timeout|refused") == nil)
        #expect(QueryRegex.requiredLiteral(of: "colou?r scheme") == Array("r scheme".utf8))
        #expect(QueryRegex.requiredLiteral(of: "a(bcdef)?g") == nil)
        #expect(QueryRegex.requiredLiteral(of: "[abc]xyz\\.com") == Array("xyz.com".utf8))
        #expect(QueryRegex.requiredLiteral(of: "(?i)timeout") == nil)
        #expect(QueryRegex.requiredLiteral(of: "took \\d{3,}ms") == Array("took ".utf8))
        #expect(QueryRegex.requiredLiteral(of: "\\p{Lu}ab") == nil, "an escape's braces are not text")
        #expect(QueryRegex.requiredLiteral(of: "(?x) lock wait") == nil, "(?x) makes the spaces mean nothing")
    }

    @Test func indexWordsAreWholeWordsOfRequiredText() {
        #expect(
            QueryRegex.indexWords(of: #"Payment failed orderId=O\d+ reason=card_declined"#)
                == ["failed", "orderid", "reason"])
        #expect(QueryRegex.indexWords(of: "Lock wait timeout") == ["wait"], "the edge words may run on")
        #expect(QueryRegex.indexWords(of: " Lock wait (timeout|refused)") == ["lock", "wait"])
        #expect(QueryRegex.indexWords(of: "a (b c) d|e") == [])
        #expect(QueryRegex.indexWords(of: "(?i) LOCK WAIT ") == [])
        #expect(QueryRegex.indexWords(of: "x{2} took \\d{3,4} ms ") == ["ms", "took"])
    }

    @Test func badRegexesPointAtTheProblem() {
        for (text, position) in [("/unterminated", 0), ("service:/a(b/", 9), ("//", 0), ("/x{2,1}/", 1)] {
            do {
                _ = try Query.parse(text)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.position >= position, "\(text): \(error)")
                #expect(error.message.contains("regex"), "\(text): \(error)")
            }
        }
    }

    @Test func aCatastrophicPatternGivesUpInsteadOfHanging() throws {
        let regex = try QueryRegex("(a+)+$")
        let subject = String(repeating: "a", count: 40) + "!"
        let started = ContinuousClock.now
        #expect(!regex.matches(subject))
        // Not a timing assertion: a hang would never get here.
        _ = ContinuousClock.now - started
    }
}

@Suite struct QuantityFilterTests {
    static func record(_ fields: [Field]) -> LogRecord {
        LogRecord(timestamp: 0, level: .info, service: "order", message: "x", fields: fields)
    }

    @Test func durationsCompareInTheFieldsOwnUnit() throws {
        let slow = try Query.parse("took_ms:>1.5s")
        #expect(slow.description == "took_ms:>1.5s")
        #expect(try Query.parse(slow.description) == slow)
        #expect(slow.matches(Self.record([Field("took_ms", .int(1584))])))
        #expect(!slow.matches(Self.record([Field("took_ms", .int(1200))])))
        // Seconds without a unit in the name (nginx's request_time), and text with its own unit.
        let request = try Query.parse("request_time:>=300ms")
        #expect(request.matches(Self.record([Field("request_time", .double(0.316))])))
        #expect(!request.matches(Self.record([Field("request_time", .double(0.2))])))
        let took = try Query.parse("took:[1s TO 2m]")
        #expect(took.description == "took:[1s TO 120s]")
        #expect(took.matches(Self.record([Field("took", .string("1584ms"))])))
        #expect(!took.matches(Self.record([Field("took", .string("3m"))])))
    }

    @Test func sizesCompareInBytes() throws {
        let big = try Query.parse("bytes:>10KiB")
        #expect(big.description == "bytes:>10240B")
        #expect(big.matches(Self.record([Field("bytes", .int(20_000))])))
        #expect(big.matches(Self.record([Field("bytes", .string("1.5MB"))])))
        #expect(!big.matches(Self.record([Field("bytes", .int(512))])))
        #expect(try Query.parse("x:>1e3").matches(Self.record([Field("x", .int(1001))])))
    }

    @Test func unitsMustBeKnownAndAgree() {
        for text in ["took:>5parsecs", "took:[1s TO 10KiB]", "took:[1s TO 10]"] {
            #expect(throws: QueryError.self, "\(text)") { try Query.parse(text) }
        }
    }
}
