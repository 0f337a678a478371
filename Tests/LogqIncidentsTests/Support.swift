import Foundation
import LogqCorpus
import LogqIncidents
import LogqIndex
import Synchronization

/// A wall clock the test moves by hand.
final class ManualClock: Sendable {
    private let nanoseconds: Mutex<Int64>

    /// Starts where the generated corpus starts, so that live and replayed time agree.
    init(start: Int64 = CorpusGenerator.defaultStart) { nanoseconds = Mutex(start) }

    var now: Int64 { nanoseconds.withLock { $0 } }
    func advance(seconds: Double) { nanoseconds.withLock { $0 += Int64(seconds * 1e9) } }
    var function: @Sendable () -> Int64 { { [self] in self.now } }
}

extension CorpusEvent {
    /// The record the server would store for this event's JSON line.
    func record(source: String = "corpus") -> LogRecord {
        LogRecord(
            timestamp: timestamp, level: LogLevel(parsing: level), service: service, host: host, source: source,
            message: message,
            fields: fields.map { name, value in
                switch value {
                case .string(let text): return Field(name, .string(text))
                case .int(let number): return Field(name, .int(Int64(number)))
                case .double(let number): return Field(name, .double(number))
                }
            })
    }
}

func temporaryDirectory(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "logq-incidents-\(name)-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Feeds records to a desk in batches, as commits would, moving the clock a little with each.
@discardableResult
func replay(
    _ records: [LogRecord], into desk: IncidentDesk, clock: ManualClock, batch: Int = 2000
) async throws
    -> [SignalState]
{
    var updates: [SignalState] = []
    var index = 0
    while index < records.count {
        let slice = Array(records[index..<min(records.count, index + batch)])
        await desk.ingest(slice)
        clock.advance(seconds: 0.05)
        updates += try await desk.tick()
        index += batch
    }
    // Every source falls quiet: the watermark reaches the newest record (the clock is still far behind it).
    clock.advance(seconds: 60)
    updates += try await desk.tick()
    return updates
}
