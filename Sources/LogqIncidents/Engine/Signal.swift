import Foundation

/// A signal: one alert rule (or ladder of rules) on one key, such as api-errors on service nginx.
public struct SignalKey: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public var signal: String
    /// `field=value` for each of the rule's `by` fields, in its order.
    public var labels: [String]

    public init(signal: String, labels: [String]) {
        self.signal = signal
        self.labels = labels
    }

    public var description: String { labels.isEmpty ? signal : signal + "{" + labels.joined(separator: ",") + "}" }

    public static func < (lhs: SignalKey, rhs: SignalKey) -> Bool { lhs.description < rhs.description }
}

/// One log line kept as evidence: its time and its first line, cut short.
public struct EvidenceLine: Sendable, Codable, Equatable {
    public var timestamp: Int64
    public var service: String
    public var text: String

    public init(timestamp: Int64, service: String, text: String) {
        self.timestamp = timestamp
        self.service = service
        self.text = text
    }
}

/// What the engine knows of a signal while it fires and when it stops.
public struct SignalState: Sendable, Codable, Equatable {
    public enum Phase: String, Sendable, Codable { case firing, resolved }

    public var key: SignalKey
    public var phase: Phase
    public var severity: Severity
    public var category: FaultCategory
    /// The rules of the ladder that are firing (or fired last).
    public var rules: [String]
    public var summary: String
    /// Event time at which the condition began to hold (the start of the step in which it first held).
    public var onset: Int64
    /// Event time of the evaluation at which the rule fired.
    public var firedAt: Int64
    /// Event time of the last evaluation at which the condition held.
    public var lastActive: Int64
    /// Matching records from the onset to the last active evaluation.
    public var count: Int
    /// The figure the rule compares (a count, a ratio, a quantile in the field's unit).
    public var value: Double
    public var threshold: Double
    /// Services of the matching records, most frequent first.
    public var services: [String]
    public var traceIDs: [String]
    public var samples: [EvidenceLine]
    /// For slow queries: normalized statement → entries.
    public var statements: [String: Int]
    /// The `logq` query that shows the matching records (with `--from/--to` of the incident).
    public var query: String
    public var labels: [String: String]

    public init(
        key: SignalKey, phase: Phase, severity: Severity, category: FaultCategory, rules: [String], summary: String,
        onset: Int64, firedAt: Int64, lastActive: Int64, count: Int, value: Double, threshold: Double,
        services: [String], traceIDs: [String], samples: [EvidenceLine], statements: [String: Int], query: String,
        labels: [String: String]
    ) {
        self.key = key
        self.phase = phase
        self.severity = severity
        self.category = category
        self.rules = rules
        self.summary = summary
        self.onset = onset
        self.firedAt = firedAt
        self.lastActive = lastActive
        self.count = count
        self.value = value
        self.threshold = threshold
        self.services = services
        self.traceIDs = traceIDs
        self.samples = samples
        self.statements = statements
        self.query = query
        self.labels = labels
    }
}
