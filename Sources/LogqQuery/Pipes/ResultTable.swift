import Foundation
import LogqIndex

/// A cell of a pipeline's result.
public enum TableValue: Equatable, Hashable, Sendable, CustomStringConvertible {
    case null
    case number(Double)
    case string(String)

    public var description: String {
        switch self {
        case .null: return ""
        case .number(let value):
            if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
            // 12 significant digits: sums and averages show no floating-point noise (738.0000000000001).
            var text = String(format: "%.12g", value)
            if text.contains("e") { text = String(value) }
            return text
        case .string(let text): return text
        }
    }

    /// Numbers before strings, nulls last; numbers by value, strings bytewise.
    static func ascending(_ lhs: TableValue, _ rhs: TableValue) -> Bool {
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)): return a < b
        case (.string(let a), .string(let b)): return a < b
        case (.number, .string): return true
        case (.null, _): return false
        case (_, .null): return true
        default: return false
        }
    }
}

/// Rows of named columns: what an aggregation or `| fields` gives.
public struct ResultTable: Equatable, Sendable {
    public var columns: [String]
    public var rows: [[TableValue]]

    public init(columns: [String], rows: [[TableValue]]) {
        self.columns = columns
        self.rows = rows
    }

    /// One JSON object per row, columns in order (for NDJSON).
    public func jsonLines() -> [String] {
        rows.map { row in
            var line = "{"
            for (index, (column, value)) in zip(columns, row).enumerated() {
                if index > 0 { line += "," }
                RecordJSON.appendString(column, to: &line)
                line += ":" + Self.json(value)
            }
            return line + "}"
        }
    }

    public static func json(_ value: TableValue) -> String {
        switch value {
        case .null: return "null"
        case .number(let number):
            guard number.isFinite else { return "null" }
            return value.description
        case .string(let text):
            var out = ""
            RecordJSON.appendString(text, to: &out)
            return out
        }
    }
}

/// What a query gives: records (newest first) when no pipe aggregates or projects, else a table.
public enum QueryResult: Equatable, Sendable {
    case records([LogRecord])
    case table(ResultTable)
}

/// How a pipe reads a record's field: the columns by name, `_time` as RFC 3339, `_msg` the message,
/// any other name the first free field of that name.
public enum FieldAccess {
    public static func value(of field: String, in record: LogRecord) -> TableValue {
        switch field {
        case "_time": return .string(TimestampFormat.rfc3339(record.timestamp))
        case "level": return record.level.map { .string($0.description) } ?? .null
        case "service": return record.service.isEmpty ? .null : .string(record.service)
        case "host": return record.host.isEmpty ? .null : .string(record.host)
        case "source": return record.source.isEmpty ? .null : .string(record.source)
        case "_msg", "message", "msg": return .string(record.message)
        default: return fieldValue(of: field, in: record)
        }
    }

    /// `value(of:in:)` for a name that is none of the columns above: a lookup among the record's fields
    /// alone, for callers that ask for one such name on every record.
    public static func fieldValue(of field: String, in record: LogRecord) -> TableValue {
        guard let found = record.fields.first(where: { $0.name.isSameText(as: field) }) else { return .null }
        switch found.value {
        case .int(let number): return .number(Double(number))
        case .double(let number): return .number(number)
        case .string(let text): return .string(text)
        }
    }

    /// The field as a number: numeric fields, and text that reads as one.
    public static func number(of field: String, in record: LogRecord) -> Double? {
        switch value(of: field, in: record) {
        case .number(let number): return number
        case .string(let text): return Double(text)
        case .null: return nil
        }
    }
}
