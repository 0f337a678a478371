import LogqIndex

/// A query made ready to check many records: which column a field names and which levels a `level:`
/// filter accepts are decided once, not by comparing field names for every record. Alert rules check
/// every ingested record against their queries; a profile of ingest showed those comparisons and the
/// copies of filters taken on the way as a sixth of the rules' cost. Same answers as `Query.matches`.
public struct RecordMatcher: Sendable {
    private let test: @Sendable (LogRecord) -> Bool

    public init(_ query: Query) {
        test = Self.compile(query.root)
    }

    public func matches(_ record: LogRecord) -> Bool { test(record) }

    private static func compile(_ node: QueryNode) -> @Sendable (LogRecord) -> Bool {
        switch node {
        case .all:
            return { _ in true }
        case .filter(let filter):
            return compile(filter)
        case .and(let children):
            let tests = children.map(compile)
            if tests.count == 2 {
                let (first, second) = (tests[0], tests[1])
                return { first($0) && second($0) }
            }
            return { record in tests.allSatisfy { $0(record) } }
        case .or(let children):
            let tests = children.map(compile)
            if tests.count == 2 {
                let (first, second) = (tests[0], tests[1])
                return { first($0) || second($0) }
            }
            return { record in tests.contains { $0(record) } }
        case .not(let child):
            let test = compile(child)
            return { !test($0) }
        }
    }

    private static func compile(_ filter: Filter) -> @Sendable (LogRecord) -> Bool {
        switch filter {
        case .fieldEquals("level", let value):
            let accepted = LogLevel.allCases.filter { $0.description == value }
            return { record in record.level.map(accepted.contains) ?? false }
        case .fieldEquals("service", let value):
            return { !$0.service.isEmpty && $0.service == value }
        case .fieldEquals("host", let value):
            return { !$0.host.isEmpty && $0.host == value }
        case .fieldEquals("source", let value):
            return { !$0.source.isEmpty && $0.source == value }
        case .fieldExists(let field) where !Self.columns.contains(field) && field != Term.messageField:
            return { record in record.fields.contains { $0.name.isSameText(as: field) } }
        default:
            return { filter.matches($0) }
        }
    }

    private static let columns: Set<String> = ["level", "service", "host", "source"]
}
