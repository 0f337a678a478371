import Foundation
import Logging
import LogqIndex
import ServiceLifecycle
import Synchronization

/// logqd's own log lines kept as records under `service:logqd` (`log.self_ingest: true`), so that
/// `logq 'service:logqd level:error'` finds the server's own troubles beside everything else. Lines wait
/// in a bounded buffer and are stored every second; when the store cannot keep up, the lines beyond the
/// bound are counted and the count is stored as a record of its own, so nothing vanishes unsaid.
final class OwnLogSink: Sendable {
    static let capacity = 10_000
    private let state = Mutex<(pending: [LogRecord], dropped: Int)>(([], 0))
    private let host = ProcessInfo.processInfo.hostName

    func keep(time: Date, level: Logger.Level, label: String, message: String, fields: [(String, String)]) {
        let record = LogRecord(
            timestamp: Int64(time.timeIntervalSince1970 * 1_000_000_000), level: Self.level(level),
            service: "logqd", host: host, source: "logqd", message: message,
            fields: [Field("logger", .string(label))] + fields.map { Field($0.0, .string($0.1)) })
        state.withLock { state in
            if state.pending.count < Self.capacity {
                state.pending.append(record)
            } else {
                state.dropped += 1
            }
        }
    }

    /// What is waiting, with a record saying how many lines did not fit.
    func take() -> [LogRecord] {
        let (records, dropped) = state.withLock { state in
            defer { state = ([], 0) }
            return state
        }
        guard dropped > 0 else { return records }
        return records + [
            LogRecord(
                timestamp: Int64(Date().timeIntervalSince1970 * 1_000_000_000), level: .warn, service: "logqd",
                host: host, source: "logqd",
                message: "\(dropped) of logqd's own log lines were not stored: more than \(Self.capacity) waited",
                fields: [Field("dropped_lines", .int(Int64(dropped)))])
        ]
    }

    static func level(_ level: Logger.Level) -> LogLevel {
        switch level {
        case .trace: .trace
        case .debug: .debug
        case .info, .notice: .info
        case .warning: .warn
        case .error: .error
        case .critical: .fatal
        }
    }
}

/// Stores the sink's lines every second, and the last of them at shutdown.
struct OwnLogService: Service {
    let sink: OwnLogSink
    let store: LogStore

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .seconds(1))
            await store(sink.take())
        }
        await store(sink.take())
    }

    private func store(_ records: [LogRecord]) async {
        guard !records.isEmpty else { return }
        // A failure here is the store's own, already reported by the writers that met it; logging it
        // again would feed this sink from itself.
        try? await store.append(records)
    }
}
