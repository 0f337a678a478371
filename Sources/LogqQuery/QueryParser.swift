/// Hand-written recursive-descent parser: positions in errors count Unicode scalars from 0.
struct QueryParser {
    static let keywords: Set<String> = ["AND", "OR", "NOT"]
    /// Aliases of the message in `field:value` form.
    static let messageFields: Set<String> = ["message", "msg", "_msg"]

    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    static func isSpecial(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "\t", "\n", "\r", "\"", ":", "(", ")", "|", "\\": return true
        default: return false
        }
    }

    mutating func parseQuery() throws(QueryError) -> Query {
        var filters: [Filter] = []
        var matchAll = false
        skipSpace()
        while position < scalars.count {
            let start = position
            switch scalars[position] {
            case "(", ")":
                throw QueryError(
                    message: "parentheses are not supported yet; write the terms one after another", position: start)
            case "|":
                throw QueryError(message: "pipes (| count, | stats …) are not supported yet", position: start)
            case "-" where position + 1 < scalars.count && !Self.isSpecial(scalars[position + 1]):
                throw QueryError(message: "negation (-term, NOT) is not supported yet", position: start)
            case "\"":
                let phrase = try parseQuoted()
                filters.append(try messageFilter(phrase, at: start))
            default:
                let word = readBareWord()
                if word == "*" {
                    matchAll = true
                } else if word == "AND" {
                    guard !filters.isEmpty || matchAll else {
                        throw QueryError(message: "AND needs a term before it", position: start)
                    }
                } else if word == "OR" || word == "NOT" {
                    throw QueryError(
                        message: "\(word) is not supported yet; terms are joined with AND", position: start)
                } else {
                    position = start
                    filters.append(try parseTerm())
                }
            }
            skipSpace()
        }
        if filters.isEmpty && !matchAll {
            throw QueryError(message: "empty query; use * to match every record", position: 0)
        }
        return Query(filters: filters)
    }

    private mutating func parseTerm() throws(QueryError) -> Filter {
        let start = position
        let word = readBareWord()
        guard position < scalars.count, scalars[position] == ":" else {
            return try messageFilter(word, at: start)
        }
        guard !word.isEmpty else { throw QueryError(message: "a field name is missing before ':'", position: start) }
        position += 1
        let valueStart = position
        let value: String
        if position < scalars.count, scalars[position] == "\"" {
            value = try parseQuoted()
        } else {
            value = readBareWord()
            guard !value.isEmpty else {
                throw QueryError(message: "a value is missing after '\(word):'", position: valueStart)
            }
            if value == "*" || value.hasSuffix("*") || value.hasPrefix(">") || value.hasPrefix("<")
                || value.hasPrefix("[")
                || (value.count >= 2 && value.hasPrefix("/") && value.hasSuffix("/"))
            {
                throw QueryError(
                    message: "prefix, exists, range and regex filters are not supported yet; give an exact value",
                    position: valueStart)
            }
        }
        if Self.messageFields.contains(word) { return try messageFilter(value, at: valueStart) }
        return .field(word, value)
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

    private mutating func skipSpace() {
        while position < scalars.count, [" ", "\t", "\n", "\r"].contains(scalars[position]) { position += 1 }
    }
}
