import LogqIndex

/// A named way to turn one kind of log into records: grok expressions over pattern files, or one of the
/// two structured decoders (JSON lines, syslog); with the multi-line settings, timestamp formats and
/// level names of that kind of log.
public struct PatternPack: Sendable {
    public enum Kind: Sendable {
        /// Expressions tried in order; the first that matches parses the event.
        case grok(expressions: [String])
        case jsonLines
        case syslog
    }

    /// Extra fields derived after the match.
    public enum Enrichment: Sendable, Equatable {
        /// `key=value` pairs in the message become fields (numbers typed), as Logstash's kv filter does.
        case keyValuePairs
        /// The tables a SQL statement in the message touches: `table` (the first) and `tables` (all,
        /// comma-separated).
        case sqlTables
        /// The first `com.example.FooException` of a stack trace becomes `exception`.
        case javaException
    }

    public let name: String
    public let summary: String
    public let kind: Kind
    /// Pattern files (embedded resources) loaded after the base set.
    public let patternFiles: [String]
    /// The service a record gets when the pattern captures none (the input's setting overrides it).
    public let service: String?
    /// Captured fields that hold the event time, tried in order, with their formats.
    public let timestamps: [(field: String, format: TimestampLayout)]
    /// Level spellings particular to this log (Redis's `*`, MySQL's `System`), beyond the common ones.
    public let levelAliases: [String: LogLevel]
    /// The level when the pattern captures none (or derives it from an HTTP status, below).
    public let defaultLevel: LogLevel?
    /// A field holding an HTTP status: 5xx is error, 4xx warn, the rest info.
    public let levelFromStatus: String?
    public let multiline: MultilineSettings?
    public let enrichments: [Enrichment]

    public init(
        name: String, summary: String, kind: Kind, patternFiles: [String] = [], service: String? = nil,
        timestamps: [(field: String, format: TimestampLayout)] = [("timestamp", .auto)],
        levelAliases: [String: LogLevel] = [:], defaultLevel: LogLevel? = nil, levelFromStatus: String? = nil,
        multiline: MultilineSettings? = nil, enrichments: [Enrichment] = []
    ) {
        self.name = name
        self.summary = summary
        self.kind = kind
        self.patternFiles = patternFiles
        self.service = service
        self.timestamps = timestamps
        self.levelAliases = levelAliases
        self.defaultLevel = defaultLevel
        self.levelFromStatus = levelFromStatus
        self.multiline = multiline
        self.enrichments = enrichments
    }
}
