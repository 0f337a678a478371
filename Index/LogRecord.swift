/// One log event as the store keeps it.
///
/// `message` holds the whole event, multi-line stack traces included; everything the parsers or a JSON
/// sender extracted beyond the fixed columns lives in `fields`.
public struct LogRecord: Sendable, Equatable {
    /// Nanoseconds since the Unix epoch, UTC.
    public var timestamp: Int64
    public var level: LogLevel?
    public var service: String
    public var host: String
    /// The file or input the record came from.
    public var source: String
    public var message: String
    public var fields: [Field]

    public init(
        timestamp: Int64,
        level: LogLevel? = nil,
        service: String = "",
        host: String = "",
        source: String = "",
        message: String,
        fields: [Field] = []
    ) {
        self.timestamp = timestamp
        self.level = level
        self.service = service
        self.host = host
        self.source = source
        self.message = message
        self.fields = fields
    }

    /// The value of a free field, the first one when a sender repeated a key.
    public func field(named name: String) -> FieldValue? {
        fields.first { $0.name == name }?.value
    }
}

public struct Field: Sendable, Equatable {
    public var name: String
    public var value: FieldValue

    public init(_ name: String, _ value: FieldValue) {
        self.name = name
        self.value = value
    }
}

public enum FieldValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case double(Double)

    /// The text a `field:value` query term is compared with, and the form the index stores.
    public var canonicalText: String {
        switch self {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .double(let number): return number.description
        }
    }
}

/// Severity, ordered from least to most severe.
public enum LogLevel: UInt8, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case trace = 1
    case debug = 2
    case info = 3
    case warn = 4
    case error = 5
    case fatal = 6

    public var description: String {
        switch self {
        case .trace: return "trace"
        case .debug: return "debug"
        case .info: return "info"
        case .warn: return "warn"
        case .error: return "error"
        case .fatal: return "fatal"
        }
    }

    /// Maps the spellings that loggers, syslog and JSON senders use onto the six levels.
    public init?(parsing text: some StringProtocol) {
        switch text.lowercased() {
        case "trace", "finest", "finer": self = .trace
        case "debug", "fine", "dbug": self = .debug
        case "info", "information", "informational", "notice", "config": self = .info
        case "warn", "warning": self = .warn
        case "error", "err", "severe": self = .error
        case "fatal", "critical", "crit", "alert", "emerg", "emergency", "panic": self = .fatal
        default: return nil
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}
