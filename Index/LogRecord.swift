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
        var text = String(text)
        guard let level = text.withUTF8({ LogLevel(name: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = level
    }

    /// The same from bytes, case-insensitively and without allocating: names of up to eight bytes are
    /// packed into one integer and looked up. Single letters are logback/glog abbreviations (`W`, `E`).
    public init?(name bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return nil }
        if bytes.count <= 8 {
            var packed: UInt64 = 0
            for byte in bytes { packed = packed << 8 | UInt64(byte | (byte &- 65 < 26 ? 0x20 : 0)) }
            guard let level = LogLevel.shortNames[packed] else { return nil }
            self = level
            return
        }
        switch String(decoding: bytes, as: UTF8.self).lowercased() {
        case "information", "informational": self = .info
        case "emergency": self = .fatal
        default: return nil
        }
    }

    /// A syslog severity (0 emergency … 7 debug).
    public init(syslogSeverity severity: Int) {
        switch severity {
        case ...2: self = .fatal
        case 3: self = .error
        case 4: self = .warn
        case 5, 6: self = .info
        default: self = .debug
        }
    }

    private static let names: [(String, LogLevel)] = [
        ("trace", .trace), ("finest", .trace), ("finer", .trace), ("trc", .trace), ("t", .trace),
        ("debug", .debug), ("fine", .debug), ("dbug", .debug), ("dbg", .debug), ("verbose", .debug), ("d", .debug),
        ("info", .info), ("notice", .info), ("config", .info), ("inf", .info), ("i", .info),
        ("warn", .warn), ("warning", .warn), ("wrn", .warn), ("w", .warn),
        ("error", .error), ("err", .error), ("eror", .error), ("severe", .error), ("e", .error),
        ("fatal", .fatal), ("critical", .fatal), ("crit", .fatal), ("alert", .fatal), ("emerg", .fatal),
        ("panic", .fatal), ("ftl", .fatal), ("f", .fatal),
    ]

    private static let shortNames: [UInt64: LogLevel] = Dictionary(
        uniqueKeysWithValues: names.map { name, level in
            (name.utf8.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }, level)
        })

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}
