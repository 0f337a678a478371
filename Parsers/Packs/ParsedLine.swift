import LogqIndex

/// What a pack found in one line, as byte ranges into it and typed numbers: no String exists until the
/// record is built for storage. One per worker, reused line after line.
public struct ParsedLine {
    public enum Outcome: Equatable, Sendable {
        /// Expression number `expression` of the pack matched.
        case parsed(expression: Int)
        case unmatched
        /// The match limits were hit; the line is kept whole and says so.
        case limitExceeded
    }

    public enum Value: Equatable {
        case text
        case int(Int64)
        case float(Double)
    }

    public struct Field: Equatable {
        /// An index into the pack's field names, or -1 when the name is the bytes at `nameRange`.
        public var field: Int
        public var nameRange: Range<Int>
        public var range: Range<Int>
        public var value: Value
    }

    public var outcome: Outcome = .unmatched
    public var timestamp: Int64?
    /// The raw text of a timestamp capture that no format could read; it is kept as a field.
    public var unreadableTimestamp: (field: Int, range: Range<Int>)?
    public var level: LogLevel?
    public var message: Range<Int>?
    public var service: Range<Int>?
    public var host: Range<Int>?
    public var fields: [Field] = []

    public init() { fields.reserveCapacity(32) }

    mutating func reset() {
        outcome = .unmatched
        timestamp = nil
        unreadableTimestamp = nil
        level = nil
        message = nil
        service = nil
        host = nil
        fields.removeAll(keepingCapacity: true)
    }
}
