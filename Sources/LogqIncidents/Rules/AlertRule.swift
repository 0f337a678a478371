import LogqQuery

/// One rule of the alert policy, evaluated on event time over a sliding window of the ingest stream.
///
/// Rules that share a `signal` name are the rungs of one ladder (e.g. API latency > 5 s critical, > 3 s
/// warning, > 2 s info): they make one signal whose severity is that of the highest rung firing.
public struct AlertRule: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The count of `query` in the window is above `above`.
        case threshold
        /// count(`query`) / count(`of`) is above `above`, once the denominator holds `minCount` records.
        case ratio(of: Query, ofText: String, minCount: Int)
        /// The `quantile` (0…1) of numeric `field` over `query` is above `above`, given `minCount` values.
        case quantile(field: String, quantile: Double, minCount: Int)
        /// A key of `by` (a service, say) that sent records before has sent none for the window.
        case absent
        /// An error template (`fingerprint` field) not seen in the `lookback` before it appeared.
        case newFingerprint(lookback: Int64)
        /// MySQL slow-log entries at or above `minQueryTime` seconds, more than `above` in the window, keyed
        /// by table; each signal counts the normalized statements (`sql_fingerprint`) it holds.
        case slowQuery(minQueryTime: Double)
    }

    public var name: String
    /// The signal this rule feeds; its own name unless it is a rung of a ladder.
    public var signal: String
    public var kind: Kind
    public var queryText: String
    public var query: Query
    /// Fields whose values split the rule into one signal per key (`[service]`, `[table]`, …).
    public var by: [String]
    public var above: Double
    /// Nanoseconds of event time the rule looks back at each evaluation.
    public var window: Int64
    /// Nanoseconds the condition must hold at every evaluation before the rule fires.
    public var holdFor: Int64
    public var severity: Severity
    public var category: FaultCategory
    public var labels: [String: String]

    public init(
        name: String, signal: String? = nil, kind: Kind, queryText: String, query: Query, by: [String] = [],
        above: Double = 0, window: Int64, holdFor: Int64 = 0, severity: Severity, category: FaultCategory,
        labels: [String: String] = [:]
    ) {
        self.name = name
        self.signal = signal ?? name
        self.kind = kind
        self.queryText = queryText
        self.query = query
        self.by = by
        self.above = above
        self.window = window
        self.holdFor = holdFor
        self.severity = severity
        self.category = category
        self.labels = labels
    }
}
