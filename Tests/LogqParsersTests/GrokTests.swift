import LogqParsers
import Testing

@Suite struct GrokTests {
    static func library(_ text: String) throws -> GrokPatternLibrary {
        var library = GrokPatternLibrary()
        try library.add(fileText: text, file: "test.grok")
        return library
    }

    static let basics = """
        # comment
        INT (?:[+-]?(?:[0-9]+))
        NUMBER (?:[+-]?(?:[0-9]+(?:\\.[0-9]+)?))
        WORD \\b\\w+\\b
        GREEDYDATA .*
        PAIR %{WORD:key}=%{INT:value:int}
        """

    @Test func namedTypedAndNestedCaptures() throws {
        let compiler = GrokCompiler(library: try Self.library(Self.basics))
        let matcher = GrokMatcher(
            pattern: try compiler.compile("%{PAIR} took %{NUMBER:took:float}s %{GREEDYDATA:rest}"))
        let values = try #require(matcher.values(in: "retries=3 took 1.25s and then\nmore"))
        #expect(values.map(\.field) == ["key", "value", "took", "rest"])
        #expect(values[1].value == .int(3))
        #expect(values[2].value == .float(1.25))
        // Dot matches newline, as in Logstash: the rest of a joined multi-line event is one capture.
        #expect(values[3].value == .string("and then\nmore"))
    }

    @Test func inlineDefinitionsInlineGroupsAndBracketNames() throws {
        let compiler = GrokCompiler(library: try Self.library(Self.basics))
        let pattern = try compiler.compile(#"%{WORD:[http][method]} %{CODE:code=\d\d\d} (?<tail>\w+)"#)
        let values = try #require(GrokMatcher(pattern: pattern).values(in: "GET 404 missing"))
        #expect(values.map(\.field) == ["http.method", "code", "tail"])
        #expect(values.map(\.value) == [.string("GET"), .string("404"), .string("missing")])
    }

    @Test func emptyCapturesSetNoField() throws {
        let compiler = GrokCompiler(library: try Self.library(Self.basics))
        let values = try #require(GrokMatcher(pattern: try compiler.compile("a%{GREEDYDATA:x}b")).values(in: "ab"))
        #expect(values.isEmpty)
    }

    @Test func errorsNameTheProblem() throws {
        #expect(
            throws: GrokError.malformedDefinition(
                GrokSourceLocation(file: "test.grok", line: 2), reason: "a name with no regex after it")
        ) {
            _ = try Self.library("A x\nLONELY\n")
        }
        #expect(throws: GrokError.self) { _ = try Self.library("BAD-NAME x") }
        let compiler = GrokCompiler(library: try Self.library("LOOP a%{LOOP}\nBROKEN (unclosed\nUSES %{BROKEN}"))
        #expect(throws: GrokError.unknownPattern("NOPE", usedIn: "expression %{NOPE}")) {
            _ = try compiler.compile("%{NOPE}")
        }
        #expect(throws: GrokError.recursiveDefinition(chain: ["LOOP", "LOOP"])) { _ = try compiler.compile("%{LOOP}") }
        #expect(throws: GrokError.unknownType("bool", field: "x", usedIn: "expression %{USES:x:bool}")) {
            _ = try compiler.compile("%{USES:x:bool}")
        }
        do {
            _ = try compiler.compile("x %{USES}")
            Issue.record("compiled a broken definition")
        } catch {
            // The definition at fault is named with its file and line, not just the expression.
            #expect(error.description.contains("BROKEN (test.grok:2)"))
            #expect(error.description.contains("missing closing parenthesis"))
        }
    }

    @Test func onigurumaConstructsMeanWhatLogstashMeans() throws {
        let compiler = GrokCompiler(
            library: try Self.library(#"UNIXPATH (/[[[:alnum:]]_%!$@:.,+~-]*)+"# + "\nHEX \\h{4}"))
        #expect(GrokMatcher(pattern: try compiler.compile("^%{UNIXPATH:path}$")).values(in: "/opt/Čierný/x") != nil)
        #expect(GrokMatcher(pattern: try compiler.compile("^%{HEX:h}$")).values(in: "beef") != nil)
        #expect(GrokMatcher(pattern: try compiler.compile("^a.?*b$")).values(in: "axxb") != nil)
    }

    /// A catastrophic pattern on a long line stops at the match limits and says so, instead of pinning a core.
    @Test func catastrophicPatternReturnsWithinTheBudget() throws {
        let compiler = GrokCompiler(library: try Self.library(Self.basics))
        let pattern = try compiler.compile("^(?:a|aa)+$")
        let line = String(repeating: "a", count: 5_000) + "!"
        for limits in [MatchLimits(match: 1_000_000), MatchLimits.standard] {
            let matcher = GrokMatcher(pattern: pattern, limits: limits)
            let started = ContinuousClock.now
            let outcome = line.utf8.withContiguousStorageIfAvailable { matcher.match(UnsafeRawBufferPointer($0)) }
            print(
                "catastrophic match with limit \(limits.match): \(outcome.map { "\($0)" } ?? "?") after \(ContinuousClock.now - started)"
            )
            #expect(outcome == .limitExceeded)
        }
    }

    @Test func numberTextFollowsRubyConversions() {
        func integer(_ text: String) -> Int64 { Array(text.utf8).withUnsafeBytes { NumberText.leadingInteger($0) } }
        func double(_ text: String) -> Double { Array(text.utf8).withUnsafeBytes { NumberText.leadingDouble($0) } }
        #expect(integer("2817") == 2817)
        #expect(integer("-12abc") == -12)
        #expect(integer("abc") == 0)
        #expect(integer("99999999999999999999") == .max)
        #expect(double("0.000073") == 0.000073)
        #expect(double("-1") == -1)
        #expect(double("1.5e3") == 1500)
        #expect(double("12.") == 12)
        #expect(double("x") == 0)
        #expect(double("123456789.123456789") == 123456789.123456789)
    }
}
