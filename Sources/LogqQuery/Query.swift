import LogqIndex

/// A parsed query: the records that pass every filter (implicit AND). No filter means every record.
///
/// This is the first slice of the language in docs/query-language.md: `*`, `field:value`,
/// `field:"a phrase"`, bare words and `"phrases"`, and `AND`.
public struct Query: Equatable, Sendable {
    public var filters: [Filter]

    public init(filters: [Filter]) {
        self.filters = filters
    }

    public static func parse(_ text: String) throws(QueryError) -> Query {
        var parser = QueryParser(text)
        return try parser.parseQuery()
    }
}

public enum Filter: Equatable, Sendable {
    /// `field:value`: the field holds exactly this value (levels are normalised: `level:ERROR` is `level:error`).
    case fieldEquals(field: String, value: String)
    /// A bare word or a phrase: its words occur in this order in the message, compared case-insensitively.
    case messageWords(text: String, tokens: [String])

    public static func words(_ text: String) -> Filter {
        .messageWords(text: text, tokens: Tokenizer.tokens(in: text))
    }

    public static func field(_ name: String, _ value: String) -> Filter {
        if name == "level", let level = LogLevel(parsing: value) {
            return .fieldEquals(field: name, value: level.description)
        }
        return .fieldEquals(field: name, value: value)
    }
}

/// A query that could not be parsed, with the character position the problem starts at (0-based).
public struct QueryError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public let position: Int

    public init(message: String, position: Int) {
        self.message = message
        self.position = position
    }

    public var description: String { "query error at position \(position): \(message)" }

    /// The query with a caret under the position, for a terminal.
    public func pointing(into query: String) -> String {
        "\(query)\n\(String(repeating: " ", count: position))^ \(message)"
    }
}
