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
