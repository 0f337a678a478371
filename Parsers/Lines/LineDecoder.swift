import LogqIndex

/// Turns one received line into a record: a JSON object maps its well-known keys onto the record's
/// columns and keeps the rest as fields; any other line is the message, stamped with the receive time.
///
/// Nothing is dropped: invalid UTF-8 is replaced (and marked with `_invalid_utf8`), an over-long line is
/// cut (and marked with `_truncated`, the original size), a line that looks like JSON but is not stays
/// the message (marked with `_parse_error`).
public struct LineDecoder: Sendable {
    public var defaultService: String
    public var defaultHost: String
    public var source: String

    public init(defaultService: String = "", defaultHost: String = "", source: String = "") {
        self.defaultService = defaultService
        self.defaultHost = defaultHost
        self.source = source
    }

    static let timeKeys = ["@timestamp", "timestamp", "time", "ts", "_time"]
    static let levelKeys = ["level", "severity", "log.level", "levelname"]
    static let messageKeys = ["message", "msg"]
    static let serviceKeys = ["service", "service.name", "app"]
    static let hostKeys = ["host", "host.name", "hostname"]

    /// What a key may be, looked up once per key: checking it against each list in turn was a string
    /// comparison per list entry for every field of every line.
    private struct KeyRoles: OptionSet {
        let rawValue: UInt8
        static let time = KeyRoles(rawValue: 1)
        static let level = KeyRoles(rawValue: 2)
        static let message = KeyRoles(rawValue: 4)
        static let service = KeyRoles(rawValue: 8)
        static let host = KeyRoles(rawValue: 16)
        static let source = KeyRoles(rawValue: 32)
    }

    private static let keyRoles: [String: KeyRoles] = {
        var roles: [String: KeyRoles] = [:]
        for (keys, role) in [
            (timeKeys, KeyRoles.time), (levelKeys, .level), (messageKeys, .message), (serviceKeys, .service),
            (hostKeys, .host), (["source"], .source),
        ] {
            for key in keys { roles[key, default: []].insert(role) }
        }
        return roles
    }()

    /// `originalLength` is the line's size when a framer already cut it (it keeps at most the limit).
    public func decode(_ line: UnsafeRawBufferPointer, receivedAt: Int64, originalLength: Int? = nil) -> LogRecord {
        let (bytes, sanitizeMarkers) = Self.sanitize(line, originalLength: originalLength)
        var markers = sanitizeMarkers
        let text: String
        if let valid = String(validating: bytes, as: UTF8.self) {
            text = valid
        } else {
            text = String(decoding: bytes, as: UTF8.self)
            markers.append(Field("_invalid_utf8", .int(1)))
        }

        var record = LogRecord(
            timestamp: receivedAt, service: defaultService, host: defaultHost, source: source, message: text)
        if bytes.first(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) == UInt8(ascii: "{") {
            if let pairs = JSONObjectScanner.parse(bytes) {
                apply(pairs, to: &record)
            } else {
                markers.append(Field("_parse_error", .string("line starts with { but is not a JSON object")))
            }
        }
        record.fields.append(contentsOf: markers)
        return record
    }

    /// Strips the line ending and cuts a line longer than the storage limit at a character boundary,
    /// returning the markers that say so (`_truncated` with the original size).
    public static func sanitize(
        _ line: UnsafeRawBufferPointer, originalLength: Int? = nil
    ) -> (UnsafeRawBufferPointer, [Field]) {
        var bytes = line
        while let last = bytes.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: "\n") {
            bytes = UnsafeRawBufferPointer(rebasing: bytes.dropLast())
        }
        var markers: [Field] = []
        if let originalLength, originalLength > bytes.count {
            markers.append(Field("_truncated", .int(Int64(originalLength))))
        }
        if bytes.count > StorageLimits.maxMessageBytes {
            markers.append(Field("_truncated", .int(Int64(originalLength ?? bytes.count))))
            var cut = StorageLimits.maxMessageBytes
            // Back off to a character boundary so the kept part stays valid UTF-8.
            while cut > 0, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
            bytes = UnsafeRawBufferPointer(rebasing: bytes[..<cut])
        }
        return (bytes, markers)
    }

    public func decode(_ line: String, receivedAt: Int64) -> LogRecord {
        var line = line
        return line.withUTF8 { decode(UnsafeRawBufferPointer($0), receivedAt: receivedAt) }
    }

    private func apply(_ pairs: [(key: String, value: JSONObjectScanner.Value)], to record: inout LogRecord) {
        var messageSet = false
        var fields: [Field] = []
        fields.reserveCapacity(pairs.count)
        for (key, value) in pairs {
            let roles = Self.keyRoles[key] ?? []
            if roles.contains(.time), let timestamp = Self.timestamp(from: value) {
                record.timestamp = timestamp
                continue
            }
            if !roles.isEmpty, case .string(let text) = value {
                if roles.contains(.level), record.level == nil, let level = LogLevel(parsing: text) {
                    record.level = level
                    continue
                }
                if roles.contains(.message), !messageSet {
                    record.message = text
                    messageSet = true
                    continue
                }
                if roles.contains(.service), !text.isEmpty {
                    record.service = text
                    continue
                }
                if roles.contains(.host), !text.isEmpty {
                    record.host = text
                    continue
                }
                // What `logq -o json` and `logq ingest` write, so that records travel back unchanged.
                if roles.contains(.source), !text.isEmpty {
                    record.source = text
                    continue
                }
            }
            switch value {
            case .string(let text), .raw(let text): fields.append(Field(key, .string(text)))
            case .int(let number): fields.append(Field(key, .int(number)))
            case .double(let number): fields.append(Field(key, .double(number)))
            case .bool(let flag): fields.append(Field(key, .string(flag ? "true" : "false")))
            case .null: continue
            }
        }
        // The whole JSON text stays the message only when the sender gave none.
        record.fields = fields
    }

    private static func timestamp(from value: JSONObjectScanner.Value) -> Int64? {
        switch value {
        case .string(let text): return TimestampParser.parseISO8601(text)
        case .int(let number): return TimestampParser.parseEpoch(integer: number)
        case .double(let number): return TimestampParser.parseEpoch(number)
        default: return nil
        }
    }
}
