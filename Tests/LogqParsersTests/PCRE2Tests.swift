import LogqParsers
import Testing

@Suite struct PCRE2Tests {
    @Test func matchesAndReportsNamedGroups() throws {
        let regex = try PCRE2Regex(#"(?<level>ERROR|WARN) (?<pid>\d+) --- \[(?<thread>[^\]]+)\]"#)
        #expect(regex.groupNames.map(\.name).sorted() == ["level", "pid", "thread"])
        let matcher = PCRE2Matcher(regex: regex)
        let subject = "2026-11-23 09:41:07.123 ERROR 1 --- [nio-8080-exec-3] c.c.OrderService : failed"
        guard case .match(let range) = matcher.firstMatch(in: subject) else {
            Issue.record("no match")
            return
        }
        #expect(range.lowerBound == 24)
        let pid = regex.groupNames.first { $0.name == "pid" }!.number
        #expect(matcher.groupRange(pid) == 30..<31)
        #expect(matcher.firstMatch(in: "nothing here") == .noMatch)
    }

    @Test func rejectedPatternSaysWhereAndWhy() {
        #expect(throws: PatternError.self) { try PCRE2Regex("(unclosed") }
        do {
            _ = try PCRE2Regex("ab[c")
        } catch {
            #expect(error.offset == 4)
            #expect(error.message.contains("missing terminating ]"))
        }
    }

    @Test func catastrophicBacktrackingHitsTheLimitInsteadOfSpinning() throws {
        let regex = try PCRE2Regex("^(a+)+$")
        let matcher = PCRE2Matcher(regex: regex, matchLimit: 10_000)
        #expect(matcher.firstMatch(in: String(repeating: "a", count: 40) + "b") == .limitExceeded)
    }

    @Test func invalidUTF8SubjectIsMatchedNotRejected() throws {
        let matcher = PCRE2Matcher(regex: try PCRE2Regex("timeout"))
        let bytes: [UInt8] = [0xFF] + Array(" timeout".utf8)
        let outcome = bytes.withUnsafeBytes { matcher.firstMatch(in: $0) }
        #expect(outcome == .match(2..<9))
    }
}
