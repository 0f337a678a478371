import LogqIndex
import LogqParsers
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `/regex/` of a query: PCRE2 (JIT), compiled once, with a match limit so that a pathological pattern
/// gives up on a record (which then does not match) instead of pinning a core; and the longest literal
/// every match must contain, looked for before PCRE2 runs at all.
public final class QueryRegex: @unchecked Sendable, Equatable {
    public let pattern: String
    let regex: PCRE2Regex
    /// Bytes every match contains; nil when the pattern guarantees none (alternation, case folding).
    let requiredLiteral: [UInt8]?
    /// Words every match holds, lower-cased: the index's candidates for the regex over messages.
    let indexWords: [String]
    // Matchers hold scratch space and are not thread-safe: queries on several cores take one each.
    private let pool = Mutex<[PooledMatcher]>([])

    /// A matcher is used by one thread at a time: taken from the pool, used, put back.
    private struct PooledMatcher: @unchecked Sendable {
        let matcher: PCRE2Matcher
    }
    static let limits = MatchLimits(match: 1_000_000, depth: 10_000, heapKiB: 20_000)

    public init(_ pattern: String) throws(PatternError) {
        self.pattern = pattern
        regex = try PCRE2Regex(pattern)
        requiredLiteral = Self.requiredLiteral(of: pattern)
        indexWords = Self.indexWords(of: pattern)
        matchesInAPrefixHold = Self.looksOnlyUpToItsMatch(pattern)
    }

    public static func == (lhs: QueryRegex, rhs: QueryRegex) -> Bool { lhs.pattern == rhs.pattern }

    /// Whether a match found in a message's first line (up to, not including, its first LF) is a match in
    /// the whole message: true when nothing in the pattern looks past the end of its match, other than
    /// `\b` and `\B`, which see the same non-word character in the LF as at the end of the line. End
    /// anchors (`$`, `\Z`, `\z`), lookaheads and verbs are left to the whole message (and so is any
    /// pattern holding them literally, escaped: the check is on the pattern's text).
    let matchesInAPrefixHold: Bool

    private static func looksOnlyUpToItsMatch(_ pattern: String) -> Bool {
        let text = Array(pattern.utf8)
        return text.withUnsafeBytes { text in
            !["$", "\\Z", "\\z", "(?=", "(?!", "(*"].contains { marker in
                Array(marker.utf8).withUnsafeBytes { text.containsBytes($0) }
            }
        }
    }

    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { matches(UnsafeRawBufferPointer($0)) }
    }

    public func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if let literal = requiredLiteral {
            guard bytes.count >= literal.count else { return false }
            guard literal.withUnsafeBytes({ bytes.containsBytes($0) }) else { return false }
        }
        let pooled =
            pool.withLock { $0.popLast() } ?? PooledMatcher(matcher: PCRE2Matcher(regex: regex, limits: Self.limits))
        defer { pool.withLock { $0.append(pooled) } }
        // Past the match limit the record does not match: a query never hangs on one line.
        if case .match = pooled.matcher.firstMatch(in: bytes) { return true }
        return false
    }

    /// The longest run (3 bytes or more) of plain characters outside groups, classes and alternation,
    /// none made optional by a following quantifier: text every match must contain.
    static func requiredLiteral(of pattern: String) -> [UInt8]? {
        // Case folding changes the bytes a match holds; the words below survive it (they are lower-cased).
        if pattern.contains("(?i") { return nil }
        let best = requiredLiterals(of: pattern)?.max { $0.count < $1.count } ?? []
        return best.count >= 3 ? best : nil
    }

    /// The words every match holds whole, so the index can narrow a regex's candidates: a word of a
    /// required literal with a non-word byte on each side inside that literal (a word at a literal's edge
    /// may continue into what the pattern leaves open: `orderId=O\d+` holds `orderid`, not `o`). Lower-
    /// cased and cut like the index's words.
    static func indexWords(of pattern: String) -> [String] {
        var words: Set<String> = []
        for literal in requiredLiterals(of: pattern) ?? [] {
            var tokens = Tokenizer.tokens(in: String(decoding: literal, as: UTF8.self))
            if let first = literal.first, Tokenizer.isWordByte(first), !tokens.isEmpty { tokens.removeFirst() }
            if let last = literal.last, Tokenizer.isWordByte(last), !tokens.isEmpty { tokens.removeLast() }
            words.formUnion(tokens)
        }
        return words.sorted()
    }

    /// Every run of plain characters outside groups, classes and alternation, none made optional by a
    /// following quantifier; nil when the pattern has a top-level alternation or inline options (`(?x)`
    /// makes spaces mean nothing), so that no run is required.
    static func requiredLiterals(of pattern: String) -> [[UInt8]]? {
        let bytes = Array(pattern.utf8)
        var runs: [[UInt8]] = []
        var run: [UInt8] = []
        var depth = 0
        var index = 0
        func endRun() {
            if !run.isEmpty { runs.append(run) }
            run = []
        }
        while index < bytes.count {
            let byte = bytes[index]
            let next = index + 1 < bytes.count ? bytes[index + 1] : 0
            switch byte {
            case UInt8(ascii: "|"):
                if depth == 0 { return nil }
                endRun()
            case UInt8(ascii: "("):
                // `(?i)`, `(?x)`, `(?-s)`…: options change what the rest of the pattern means.
                if next == UInt8(ascii: "?"), index + 2 < bytes.count {
                    let option = bytes[index + 2]
                    if (option | 0x20) >= 0x61 && (option | 0x20) <= 0x7A && option != UInt8(ascii: "P")
                        || option == UInt8(ascii: "-") || option == UInt8(ascii: "^")
                    {
                        return nil
                    }
                }
                depth += 1
                endRun()
            case UInt8(ascii: ")"):
                depth -= 1
                endRun()
            case UInt8(ascii: "["):
                endRun()
                // Skip the class: `]` right after `[` or `[^` is a member, not the end.
                index += 1
                if index < bytes.count && bytes[index] == UInt8(ascii: "^") { index += 1 }
                if index < bytes.count && bytes[index] == UInt8(ascii: "]") { index += 1 }
                while index < bytes.count && bytes[index] != UInt8(ascii: "]") {
                    if bytes[index] == UInt8(ascii: "\\") { index += 1 }
                    index += 1
                }
            case UInt8(ascii: "?"), UInt8(ascii: "*"), UInt8(ascii: "{"):
                // The character before is optional or repeated from zero: it leaves the run.
                if !run.isEmpty { run.removeLast() }
                endRun()
                // A repeat count's digits are not text.
                if byte == UInt8(ascii: "{") {
                    while index < bytes.count && bytes[index] != UInt8(ascii: "}") { index += 1 }
                }
            case UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "$"):
                endRun()
            case UInt8(ascii: "\\"):
                // An escaped punctuation character is itself; `\d`, `\w`, `\b`… are classes or anchors.
                let isLiteral =
                    next != 0 && !(next >= 0x30 && next <= 0x39) && !((next | 0x20) >= 0x61 && (next | 0x20) <= 0x7A)
                if isLiteral && depth == 0 {
                    run.append(next)
                } else {
                    endRun()
                }
                index += 1
                // `\p{Lu}`, `\x{263a}`, `\g{1}`: the braces belong to the escape.
                if !isLiteral && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "{") {
                    while index < bytes.count && bytes[index] != UInt8(ascii: "}") { index += 1 }
                }
            default:
                if depth == 0 { run.append(byte) } else { endRun() }
            }
            index += 1
        }
        endRun()
        return runs
    }
}
