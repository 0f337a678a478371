import Foundation
import LogqIndex

/// A parsed query: a boolean expression over filters. See docs/query-language.md.
public struct Query: Equatable, Sendable {
    public var root: QueryNode
    /// `| count by (…)`, `| sort …`: what is done with the matching records, in order.
    public var pipes: [QueryPipe]

    public init(root: QueryNode, pipes: [QueryPipe] = []) {
        self.root = root
        self.pipes = pipes
    }

    /// All of `filters` (implicit AND); none means every record.
    public init(filters: [Filter]) {
        pipes = []
        switch filters.count {
        case 0: root = .all
        case 1: root = .filter(filters[0])
        default: root = .and(filters.map(QueryNode.filter))
        }
    }

    /// `now` (ns since the epoch) anchors relative times such as `_time:15m`.
    public static func parse(_ text: String, now: Int64 = Query.currentTime()) throws(QueryError) -> Query {
        var parser = QueryParser(text, now: now)
        return try parser.parseQuery()
    }

    public static func currentTime() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1e9).rounded())
    }
}

public indirect enum QueryNode: Equatable, Sendable {
    case all
    case filter(Filter)
    case and([QueryNode])
    case or([QueryNode])
    case not(QueryNode)
}

public enum Filter: Equatable, Sendable {
    /// `field:value`: the field holds exactly this value (levels are normalised: `level:ERROR` is `level:error`).
    case fieldEquals(field: String, value: String)
    /// A bare word or a phrase: its words occur in this order in the message, compared case-insensitively.
    case messageWords(text: String, tokens: [String])
    /// `field:pre*`: the field's value starts with `prefix` (for the message: one of its words does).
    case fieldPrefix(field: String, prefix: String)
    /// `field:*`: the record has the field.
    case fieldExists(field: String)
    /// `field:>N`, `>=`, `<`, `<=`, `field:[a TO b]`: the field's number lies in the range.
    case numericRange(field: String, range: NumericRange)
    /// `_time:15m`, `_time:[a TO b]`: the record's time (ns) lies in the range, both ends included.
    case timeRange(from: Int64?, to: Int64?)
    /// `field:/regex/` and `/regex/` (the message): PCRE2 finds the pattern in the value, case-sensitively
    /// unless the pattern says `(?i)`.
    case regex(field: String, QueryRegex)

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

/// Bounds of a numeric filter; a missing bound is open.
public struct NumericRange: Equatable, Sendable {
    /// What the bounds were written in: plain numbers, a duration (`5s`, held in seconds) or a size
    /// (`10KiB`, held in bytes). A duration or size compares with values read in the same kind.
    public enum Unit: Equatable, Sendable {
        case plain, seconds, bytes
    }

    public var lower: Double?
    public var lowerInclusive: Bool
    public var upper: Double?
    public var upperInclusive: Bool
    public var unit: Unit

    public init(
        lower: Double? = nil, lowerInclusive: Bool = true, upper: Double? = nil, upperInclusive: Bool = true,
        unit: Unit = .plain
    ) {
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
        self.unit = unit
    }

    public func contains(_ value: Double) -> Bool {
        if let lower, lowerInclusive ? value < lower : value <= lower { return false }
        if let upper, upperInclusive ? value > upper : value >= upper { return false }
        return true
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
