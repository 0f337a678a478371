import Foundation
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

    static let timeKeys = ["@timestamp", "timestamp", "time", "ts"]
    static let levelKeys = ["level", "severity", "log.level", "levelname"]
    static let messageKeys = ["message", "msg"]
    static let serviceKeys = ["service", "service.name", "app"]
    static let hostKeys = ["host", "host.name", "hostname"]

    /// `originalLength` is the line's size when a framer already cut it (it keeps at most the limit).
    public func decode(_ line: UnsafeRawBufferPointer, receivedAt: Int64, originalLength: Int? = nil) -> LogRecord {
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
            if let object = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [])) as? [String: Any] {
                apply(object, to: &record)
            } else {
                markers.append(Field("_parse_error", .string("line starts with { but is not a JSON object")))
            }
        }
        record.fields.append(contentsOf: markers)
        return record
    }

    public func decode(_ line: String, receivedAt: Int64) -> LogRecord {
        var line = line
        return line.withUTF8 { decode(UnsafeRawBufferPointer($0), receivedAt: receivedAt) }
    }

    private func apply(_ object: [String: Any], to record: inout LogRecord) {
        var flat: [(String, Any)] = []
        Self.flatten(object, prefix: "", into: &flat)
        var messageSet = false
        var fields: [Field] = []
        for (key, value) in flat {
            if Self.timeKeys.contains(key), let timestamp = Self.timestamp(from: value) {
                record.timestamp = timestamp
            } else if Self.levelKeys.contains(key), record.level == nil, let text = value as? String,
                let level = LogLevel(parsing: text)
            {
                record.level = level
            } else if Self.messageKeys.contains(key), !messageSet, let text = value as? String {
                record.message = text
                messageSet = true
            } else if Self.serviceKeys.contains(key), let text = value as? String, !text.isEmpty {
                record.service = text
            } else if Self.hostKeys.contains(key), let text = value as? String, !text.isEmpty {
                record.host = text
            } else if let fieldValue = Self.fieldValue(from: value) {
                fields.append(Field(key, fieldValue))
            }
        }
        // The whole JSON text stays the message only when the sender gave none.
        record.fields = fields
    }

    /// Nested objects become dotted keys (`log.file.path`), as Filebeat and ECS spell them.
    private static func flatten(_ object: [String: Any], prefix: String, into result: inout [(String, Any)]) {
        for key in object.keys.sorted() {
            let value = object[key]!
            let name = prefix.isEmpty ? key : prefix + "." + key
            if let nested = value as? [String: Any] {
                flatten(nested, prefix: name, into: &result)
            } else {
                result.append((name, value))
            }
        }
    }

    private static func timestamp(from value: Any) -> Int64? {
        if let text = value as? String { return TimestampParser.parseISO8601(text) }
        if !isBoolean(value), let number = value as? NSNumber { return TimestampParser.parseEpoch(number.doubleValue) }
        return nil
    }

    /// JSONSerialization gives `true`/`false` as Bool on Linux and as a char-typed NSNumber on Darwin.
    private static func isBoolean(_ value: Any) -> Bool {
        if type(of: value) == Bool.self { return true }
        if let number = value as? NSNumber { return String(cString: number.objCType) == "c" }
        return false
    }

    private static func fieldValue(from value: Any) -> FieldValue? {
        switch value {
        case let text as String:
            return .string(text)
        case _ where isBoolean(value):
            return .string((value as? Bool) == true ? "true" : "false")
        case let number as NSNumber:
            let double = number.doubleValue
            if double.rounded() == double, abs(double) < 9e15 { return .int(Int64(double)) }
            return .double(double)
        case is NSNull:
            return nil
        default:
            // Arrays keep their JSON text, so nothing the sender sent is lost.
            guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else { return nil }
            return .string(String(decoding: data, as: UTF8.self))
        }
    }
}
