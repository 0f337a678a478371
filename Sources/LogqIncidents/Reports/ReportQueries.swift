import LogqIndex
import LogqQuery

/// What reports ask the store, answered by logqd's executor. Every figure a report prints comes with the
/// query that gives it, so that a reader can run it again.
public protocol ReportQueries: Sendable {
    func count(_ query: Query) throws -> Int
    func table(_ query: Query) throws -> ResultTable
}

/// A figure and the query behind it.
public struct Figure: Sendable, Codable, Equatable {
    public var name: String
    public var value: Double
    /// Runnable as is: `logq '<query>'` (its time range is inside it).
    public var query: String
}

enum ReportTime {
    /// `(query) _time:[from TO to]`, both ends included.
    static func scoped(_ query: String, from: Int64, to: Int64) -> String {
        let range = "_time:[\(TimestampFormat.rfc3339(from)) TO \(TimestampFormat.rfc3339(to))]"
        return query == "*" ? range : "(\(query)) \(range)"
    }

    static func figure(
        _ name: String, _ query: String, from: Int64, to: Int64, using queries: any ReportQueries
    ) throws -> Figure {
        let text = scoped(query, from: from, to: to)
        return Figure(name: name, value: Double(try queries.count(try Query.parse(text))), query: text)
    }
}
