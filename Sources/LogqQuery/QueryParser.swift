import LogqIndex
import LogqParsers

/// Recursive-descent parser of the query language; error positions count Unicode scalars from 0.
///
/// ```
/// query   := or ("|" pipe)*                 pipes: Pipes/PipeParser.swift
/// or      := and ("OR" and)*
/// and     := unary (["AND"] unary)*          implicit AND between terms
/// unary   := ("NOT" | "-") unary | primary
/// primary := "(" or ")" | "*" | "/" regex "/" | term
/// term    := field ":" value | word | "phrase"
/// value   := "*" | prefix"*" | "/" regex "/" | (">" | ">=" | "<" | "<=") number | "[" number "TO" number "]" | "text" | text
/// ```
struct QueryParser {
    static let keywords: Set<String> = ["AND", "OR", "NOT", "TO"]
    /// Aliases of the message in `field:value` form.
    static let messageFields: Set<String> = ["message", "msg", "_msg"]

    let scalars: [Unicode.Scalar]
    var position = 0
    private let now: Int64

    init(_ text: String, now: Int64) {
        scalars = Array(text.unicodeScalars)
        self.now = now
    }

    static func isSpecial(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "\t", "\n", "\r", "\"", ":", "(", ")", "|", "\\": return true
        default: return false
        }
    }

    mutating func parseQuery() throws(QueryError) -> Query {
        skipSpace()
        guard position < scalars.count else {
            throw QueryError(message: "empty query; use * to match every record", position: 0)
        }
        let root = try parseOr()
        skipSpace()
        if position < scalars.count {
            if scalars[position] == "|" {
                return Query(root: root, pipes: try parsePipes())
            }
            if scalars[position] == ")" {
                throw QueryError(message: "')' without a matching '('", position: position)
            }
            throw QueryError(message: "unexpected '\(scalars[position])'", position: position)
        }
        return Query(root: root)
    }

    private mutating func parseOr() throws(QueryError) -> QueryNode {
        var children = [try parseAnd()]
        while peekKeyword("OR") {
            position += 2
            children.append(try parseAnd())
        }
        return children.count == 1 ? children[0] : .or(children)
    }

    private mutating func parseAnd() throws(QueryError) -> QueryNode {
        var children: [QueryNode] = []
        while true {
            skipSpace()
            guard position < scalars.count, scalars[position] != ")", scalars[position] != "|", !peekKeyword("OR")
            else {
                break
            }
            if peekKeyword("AND") {
                guard !children.isEmpty else {
                    throw QueryError(message: "AND needs a term before it", position: position)
                }
                position += 3
                continue
            }
            children.append(try parseUnary())
        }
        guard !children.isEmpty else {
            throw QueryError(message: "a term is missing here", position: min(position, scalars.count))
        }
        // `*` next to other terms adds nothing.
        let narrowing = children.filter { $0 != .all }
        if narrowing.isEmpty { return .all }
        return narrowing.count == 1 ? narrowing[0] : .and(narrowing)
    }

    private mutating func parseUnary() throws(QueryError) -> QueryNode {
        skipSpace()
        if peekKeyword("NOT") {
            position += 3
            return .not(try parseUnary())
        }
        if position + 1 < scalars.count, scalars[position] == "-", !Self.isSpecial(scalars[position + 1]) {
            position += 1
            return .not(try parseUnary())
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(QueryError) -> QueryNode {
        let start = position
        // A trailing NOT or '-' leaves nothing to negate (found by the query fuzz target).
        guard position < scalars.count else { throw QueryError(message: "a term is missing", position: position) }
        switch scalars[position] {
        case "(":
            position += 1
            let inner = try parseOr()
            skipSpace()
            guard position < scalars.count, scalars[position] == ")" else {
                throw QueryError(message: "missing ')' to close the '(' here", position: start)
            }
            position += 1
            return inner
        case ")":
            throw QueryError(message: "')' without a matching '('", position: start)
        case "\"":
            return .filter(try messageFilter(try parseQuoted(), at: start))
        case "/":
            return .filter(.regex(field: Term.messageField, try parseRegex()))
        default:
            let word = readBareWord()
            if word == "*" && !(position < scalars.count && scalars[position] == ":") { return .all }
            position = start
            return .filter(try parseTerm())
        }
    }

    /// True when the keyword stands here as a whole word.
    private func peekKeyword(_ keyword: String) -> Bool {
        let letters = Array(keyword.unicodeScalars)
        guard position + letters.count <= scalars.count,
            Array(scalars[position..<(position + letters.count)]) == letters
        else { return false }
        let end = position + letters.count
        return end == scalars.count || [" ", "\t", "\n", "\r", "(", ")", "]"].contains(scalars[end])
    }

    private mutating func parseTerm() throws(QueryError) -> Filter {
        let start = position
        let word = readBareWord()
        guard position < scalars.count, scalars[position] == ":" else {
            if word.count > 1, word.hasSuffix("*"), !word.hasSuffix("\\*") {
                return .fieldPrefix(field: Term.messageField, prefix: String(word.dropLast()).lowercased())
            }
            return try messageFilter(word, at: start)
        }
        guard !word.isEmpty else { throw QueryError(message: "a field name is missing before ':'", position: start) }
        position += 1
        let valueStart = position
        let field = Self.messageFields.contains(word) ? Term.messageField : word
        guard position < scalars.count, !Self.isSpace(scalars[position]) else {
            throw QueryError(message: "a value is missing after '\(word):'", position: valueStart)
        }
        if field == "_time" { return try parseTime(at: valueStart) }
        switch scalars[position] {
        case "/":
            return .regex(field: field, try parseRegex())
        case "\"":
            let value = try parseQuoted()
            return field == Term.messageField ? try messageFilter(value, at: valueStart) : .field(word, value)
        case "[":
            return .numericRange(field: field, range: try parseRange())
        case ">", "<":
            let isGreater = scalars[position] == ">"
            position += 1
            var inclusive = false
            if position < scalars.count, scalars[position] == "=" {
                inclusive = true
                position += 1
            }
            let number = try parseNumber()
            let range =
                isGreater
                ? NumericRange(lower: number.value, lowerInclusive: inclusive, unit: number.unit)
                : NumericRange(upper: number.value, upperInclusive: inclusive, unit: number.unit)
            return .numericRange(field: field, range: range)
        default:
            let value = readBareWord()
            guard !value.isEmpty else {
                throw QueryError(message: "a value is missing after '\(word):'", position: valueStart)
            }
            if value == "*" { return .fieldExists(field: field) }
            if value.hasSuffix("*") {
                let prefix = String(value.dropLast())
                return .fieldPrefix(field: field, prefix: field == Term.messageField ? prefix.lowercased() : prefix)
            }
            return field == Term.messageField ? try messageFilter(value, at: valueStart) : .field(word, value)
        }
    }

    /// `/pattern/`: everything up to the next `/` not escaped as `\/`, compiled by PCRE2.
    private mutating func parseRegex() throws(QueryError) -> QueryRegex {
        let start = position
        position += 1
        var pattern = String.UnicodeScalarView()
        while position < scalars.count, scalars[position] != "/" {
            if scalars[position] == "\\", position + 1 < scalars.count {
                pattern.append(scalars[position])
                position += 1
            }
            pattern.append(scalars[position])
            position += 1
        }
        guard position < scalars.count else {
            throw QueryError(message: "unterminated regex: end it with /", position: start)
        }
        position += 1
        let text = String(pattern)
        guard !text.isEmpty else {
            throw QueryError(message: "an empty regex matches everything; use *", position: start)
        }
        do {
            return try QueryRegex(text)
        } catch {
            // PCRE2's offset counts bytes; the caret counts scalars (the same for ASCII patterns).
            let offset = String(decoding: text.utf8.prefix(error.offset), as: UTF8.self).unicodeScalars.count
            throw QueryError(message: "invalid regex: \(error.message)", position: start + 1 + offset)
        }
    }

    /// `_time:15m` (the last 15 minutes) or `_time:[from TO to]` with RFC 3339 times (UTC without an
    /// offset; seconds and the time of day may be left out) or `*` for an open end.
    private mutating func parseTime(at start: Int) throws(QueryError) -> Filter {
        guard scalars[position] == "[" else {
            let text = readUntil { Self.isSpace($0) || $0 == ")" }
            guard let span = Self.duration(text) else {
                throw QueryError(message: "expected a duration such as 15m, 2h or 7d, or [from TO to]", position: start)
            }
            return .timeRange(from: now - span, to: nil)
        }
        position += 1
        skipSpace()
        let lowerStart = position
        let lowerText = readUntil { Self.isSpace($0) || $0 == "]" }
        skipSpace()
        guard peekKeyword("TO") else { throw QueryError(message: "expected TO in [from TO to]", position: position) }
        position += 2
        skipSpace()
        let upperStart = position
        let upperText = readUntil { Self.isSpace($0) || $0 == "]" }
        skipSpace()
        guard position < scalars.count, scalars[position] == "]" else {
            throw QueryError(message: "missing ']' to close the time range", position: start)
        }
        position += 1
        let lower = try Self.instant(lowerText, at: lowerStart)
        let upper = try Self.instant(upperText, at: upperStart)
        if let lower, let upper, lower > upper {
            throw QueryError(message: "the time range ends before it starts", position: start)
        }
        return .timeRange(from: lower, to: upper)
    }

    /// An instant in a time range; nil for `*`.
    static func instant(_ text: String, at position: Int) throws(QueryError) -> Int64? {
        if text == "*" { return nil }
        var candidate = text
        if candidate.count == 10 { candidate += "T00:00:00" }
        // `2026-11-23T09:40` (and with an offset after it): add the seconds.
        let scalars = Array(candidate.unicodeScalars)
        if scalars.count >= 16, scalars.count == 16 || ["Z", "z", "+", "-"].contains(scalars[16]) {
            candidate =
                String(String.UnicodeScalarView(scalars[..<16])) + ":00"
                + String(String.UnicodeScalarView(scalars[16...]))
        }
        guard let instant = TimestampParser.parseISO8601(candidate) else {
            throw QueryError(
                message: "'\(text)' is not a time: use 2026-11-23T09:40[:00][Z|+08:00] or *", position: position)
        }
        return instant
    }

    /// `15m`, `2h`, `7d`, `30s`, `500ms`, `1w` in nanoseconds.
    static func duration(_ text: String) -> Int64? { Quantities.nanoseconds(text) }

    private mutating func readUntil(_ stop: (Unicode.Scalar) -> Bool) -> String {
        var text = String.UnicodeScalarView()
        while position < scalars.count, !stop(scalars[position]) {
            text.append(scalars[position])
            position += 1
        }
        return String(text)
    }

    private mutating func parseRange() throws(QueryError) -> NumericRange {
        let start = position
        position += 1
        skipSpace()
        let lower = try parseNumber()
        skipSpace()
        guard peekKeyword("TO") else { throw QueryError(message: "expected TO in [a TO b]", position: position) }
        position += 2
        skipSpace()
        let upperStart = position
        let upper = try parseNumber()
        skipSpace()
        guard position < scalars.count, scalars[position] == "]" else {
            throw QueryError(message: "missing ']' to close the range", position: start)
        }
        position += 1
        guard lower.unit == upper.unit else {
            throw QueryError(message: "both ends of a range need the same kind of unit", position: upperStart)
        }
        guard lower.value <= upper.value else {
            throw QueryError(message: "the range's lower end is above its upper end", position: start)
        }
        return NumericRange(lower: lower.value, upper: upper.value, unit: lower.unit)
    }

    /// A number, or a duration (`1.5s`, `300ms`: in seconds) or a size (`10KiB`: in bytes).
    mutating func parseNumber() throws(QueryError) -> (value: Double, unit: NumericRange.Unit) {
        let start = position
        var text = ""
        while position < scalars.count, "0123456789.-+".unicodeScalars.contains(scalars[position]) {
            text.unicodeScalars.append(scalars[position])
            position += 1
            // An exponent (`1e6`), not a unit: `e` followed by a digit or a sign.
            if position + 1 < scalars.count, scalars[position] == "e" || scalars[position] == "E",
                "0123456789-+".unicodeScalars.contains(scalars[position + 1])
            {
                text.unicodeScalars.append(scalars[position])
                position += 1
            }
        }
        var suffix = ""
        while position < scalars.count, scalars[position].properties.isAlphabetic {
            suffix.unicodeScalars.append(scalars[position])
            position += 1
        }
        guard let number = Double(text), number.isFinite else {
            throw QueryError(message: "a number is expected here", position: start)
        }
        if suffix.isEmpty { return (number, .plain) }
        if let seconds = Quantities.seconds(text + suffix) { return (seconds, .seconds) }
        if let bytes = Quantities.byteCount(text + suffix) { return (bytes, .bytes) }
        throw QueryError(
            message: "unknown unit '\(suffix)': use a duration (ns us ms s m h d w) or a size (B KB MB GB KiB MiB GiB)",
            position: start + text.unicodeScalars.count)
    }

    private func messageFilter(_ text: String, at position: Int) throws(QueryError) -> Filter {
        let filter = Filter.words(text)
        if case .messageWords(_, let tokens) = filter, tokens.isEmpty {
            throw QueryError(message: "'\(text)' has no letters or digits to search for", position: position)
        }
        return filter
    }

    private mutating func readBareWord() -> String {
        var word = String.UnicodeScalarView()
        while position < scalars.count {
            let scalar = scalars[position]
            if scalar == "\\", position + 1 < scalars.count {
                word.append(scalars[position + 1])
                position += 2
                continue
            }
            if Self.isSpecial(scalar) { break }
            word.append(scalar)
            position += 1
        }
        return String(word)
    }

    private mutating func parseQuoted() throws(QueryError) -> String {
        let start = position
        position += 1
        var text = String.UnicodeScalarView()
        while position < scalars.count {
            let scalar = scalars[position]
            position += 1
            if scalar == "\\", position < scalars.count {
                text.append(scalars[position])
                position += 1
            } else if scalar == "\"" {
                return String(text)
            } else {
                text.append(scalar)
            }
        }
        throw QueryError(message: "unterminated quote", position: start)
    }

    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool { [" ", "\t", "\n", "\r"].contains(scalar) }

    mutating func skipSpace() {
        while position < scalars.count, Self.isSpace(scalars[position]) { position += 1 }
    }
}
