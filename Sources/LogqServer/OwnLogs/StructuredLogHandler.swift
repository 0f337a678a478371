import Foundation
import Logging
import LogqQuery
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How logqd writes its own log lines on standard error.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `time=… level=info logger=logqd msg="listening for Beats" address=127.0.0.1:5044`
    case logfmt
    /// One JSON object per line: `{"time":…,"level":"info","logger":"logqd","msg":…,"address":…}`
    case json
    /// swift-log's human-readable default, for a terminal.
    case text
}

/// The level and format in force, shared by every logger; SIGHUP may change the level.
public final class OwnLogControl: Sendable {
    private let level: Atomic<UInt8>
    public let format: LogFormat
    /// Set once the store is open when `log.self_ingest` is on: every line is also kept as a record.
    let sink: Mutex<OwnLogSink?> = Mutex(nil)

    public init(level: Logger.Level, format: LogFormat) {
        self.level = Atomic(Self.code(level))
        self.format = format
    }

    public var logLevel: Logger.Level {
        get { Logger.Level.allCases[Int(level.load(ordering: .relaxed))] }
        set { level.store(Self.code(newValue), ordering: .relaxed) }
    }

    private static func code(_ level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level) ?? 2)
    }
}

/// logqd's own log lines, structured (logfmt or JSON) so that they are themselves easy to ship and
/// search. Metadata whose key names a secret is written as `[redacted]`: tokens and passwords never
/// reach the log, whatever a caller passes.
public struct StructuredLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let control: OwnLogControl

    public init(label: String, control: OwnLogControl) {
        self.label = label
        self.control = control
    }

    public var logLevel: Logger.Level {
        get { control.logLevel }
        set { control.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let fields = merged.map { key, value in (key, Self.isSecret(key) ? "[redacted]" : "\(value)") }
            .sorted { $0.0 < $1.0 }
        let now = Date()
        let line = Self.format(
            control.format, time: now, level: event.level, label: label, message: "\(event.message)", fields: fields)
        OwnLogOutput.write(line)
        control.sink.withLock { $0 }?.keep(
            time: now, level: event.level, label: label, message: "\(event.message)", fields: fields)
    }

    static func isSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return ["token", "password", "secret", "authorization", "credential", "private_key"].contains {
            lowered.contains($0)
        }
    }

    static func format(
        _ format: LogFormat, time: Date, level: Logger.Level, label: String, message: String,
        fields: [(String, String)]
    ) -> String {
        let stamp = time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        switch format {
        case .logfmt:
            var parts = [
                "time=\(stamp)", "level=\(level)", "logger=\(logfmtValue(label))", "msg=\(logfmtValue(message))",
            ]
            parts += fields.map { "\(logfmtKey($0.0))=\(logfmtValue($0.1))" }
            return parts.joined(separator: " ") + "\n"
        case .json:
            var object = "{\"time\":\(jsonString(stamp)),\"level\":\(jsonString("\(level)"))"
            object += ",\"logger\":\(jsonString(label)),\"msg\":\(jsonString(message))"
            for (key, value) in fields where !["time", "level", "logger", "msg"].contains(key) {
                object += ",\(jsonString(key)):\(jsonString(value))"
            }
            return object + "}\n"
        case .text:
            let suffix = fields.isEmpty ? "" : " " + fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
            return "\(stamp) \(level) \(label): \(message)\(suffix)\n"
        }
    }

    /// Bare when it is one plain word; otherwise quoted with JSON's escapes, which logfmt readers accept.
    static func logfmtValue(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != "=" }
        return plain ? value : jsonString(value)
    }

    static func logfmtKey(_ key: String) -> String {
        String(key.unicodeScalars.map { $0.value > 0x20 && $0 != "=" && $0 != "\"" ? Character($0) : "_" })
    }

    static func jsonString(_ value: String) -> String {
        var quoted = ""
        RecordJSON.appendString(value, to: &quoted)
        return quoted
    }
}

/// One write per line, so lines from different threads never interleave.
enum OwnLogOutput {
    private static let lock = Mutex(())

    static func write(_ line: String) {
        lock.withLock { _ in
            var bytes = Array(line.utf8)
            bytes.withUnsafeMutableBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                    if written <= 0 { return }
                    offset += written
                }
            }
        }
    }
}
