/// A stage after the filter: `FILTER | pipe | pipe …`. See docs/query-language.md, "Pipes".
public enum QueryPipe: Equatable, Sendable {
    /// `| count` and `| count by (f, …)`: a row per group with its `count`.
    case count(by: [String])
    /// `| top N by (f, …)`: the N most frequent groups, most frequent first.
    case top(Int, by: [String])
    /// `| stats count() sum(f) … by (f, …)`.
    case stats([StatsFunction], by: [String])
    /// `| histogram 1m [by (f, …)]`: counts per time bucket of this width (ns), oldest first.
    case histogram(step: Int64, by: [String])
    /// `| sort by (f [desc], …)`.
    case sort([SortKey])
    /// `| limit N`.
    case limit(Int)
    /// `| fields a, b`: only these columns.
    case fields([String])

    /// Pipes that turn records into rows of groups.
    public var isAggregation: Bool {
        switch self {
        case .count, .top, .stats, .histogram: return true
        case .sort, .limit, .fields: return false
        }
    }
}

public struct StatsFunction: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case count, sum, avg, min, max, countUniq
        /// `p50`…`p99.9`: the value at this fraction (0…1) of the sorted values, nearest rank.
        case quantile(Double)
    }
    public var kind: Kind
    /// Nil only for `count()`.
    public var field: String?

    public init(_ kind: Kind, _ field: String?) {
        self.kind = kind
        self.field = field
    }

    /// Also the name of its column.
    public var description: String {
        let name: String
        switch kind {
        case .count: name = "count"
        case .sum: name = "sum"
        case .avg: name = "avg"
        case .min: name = "min"
        case .max: name = "max"
        case .countUniq: name = "count_uniq"
        case .quantile(let fraction):
            let percent = fraction * 100
            name = "p" + (percent == percent.rounded() ? String(Int(percent)) : String(percent))
        }
        return "\(name)(\(field ?? ""))"
    }
}

public struct SortKey: Equatable, Sendable {
    public var field: String
    public var descending: Bool

    public init(_ field: String, descending: Bool = false) {
        self.field = field
        self.descending = descending
    }
}

extension QueryPipe: CustomStringConvertible {
    /// Canonical syntax, without the leading `| `.
    public var description: String {
        func by(_ fields: [String]) -> String { fields.isEmpty ? "" : " by (\(fields.joined(separator: ", ")))" }
        switch self {
        case .count(let fields): return "count" + by(fields)
        case .top(let count, let fields): return "top \(count)" + by(fields)
        case .stats(let functions, let fields):
            return "stats " + functions.map(\.description).joined(separator: " ") + by(fields)
        case .histogram(let step, let fields): return "histogram \(Self.durationText(step))" + by(fields)
        case .sort(let keys):
            return "sort by (" + keys.map { $0.field + ($0.descending ? " desc" : "") }.joined(separator: ", ") + ")"
        case .limit(let count): return "limit \(count)"
        case .fields(let names): return "fields " + names.joined(separator: ", ")
        }
    }

    /// The largest unit that divides the step: 90s prints as `90s`, 3600s as `1h`.
    static func durationText(_ nanoseconds: Int64) -> String {
        let units: [(String, Int64)] = [
            ("w", 604_800_000_000_000), ("d", 86_400_000_000_000), ("h", 3_600_000_000_000), ("m", 60_000_000_000),
            ("s", 1_000_000_000), ("ms", 1_000_000),
        ]
        for (suffix, scale) in units where nanoseconds % scale == 0 { return "\(nanoseconds / scale)\(suffix)" }
        return "\(nanoseconds / 1_000_000)ms"
    }
}
