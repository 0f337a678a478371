import Foundation
import Logging
import LogqIncidents
import LogqIndex
import ServiceLifecycle
import Synchronization

/// Feeds committed records to the incident desk, and every second lets it evaluate what the watermark
/// allows and the notifier send what is due.
struct IncidentService: Service {
    let store: LogStore
    let desk: IncidentDesk
    let notifier: Notifier
    let logger: Logger

    func run() async throws {
        // Unbounded: a record is never dropped on its way to the rules, only evaluated late.
        let (stream, continuation) = AsyncStream.makeStream(of: [LogRecord].self)
        // Batches committed but not yet given to the desk: while any wait, no source counts as idle.
        let backlog = BacklogCount()
        let token = store.addCommitObserver { records in
            backlog.count.withLock { $0 += 1 }
            continuation.yield(records)
        }
        defer { store.removeCommitObserver(token) }
        let desk = desk
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await batch in stream {
                    await desk.ingest(batch)
                    backlog.count.withLock { $0 -= 1 }
                }
            }
            group.addTask {
                while !Task.isCancelledOrShuttingDown {
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
                    do {
                        try await desk.tick(backlog: backlog.count.withLock { $0 > 0 })
                    } catch {
                        logger.error("the incident database could not be written: \(error)")
                    }
                    await notifier.runDue()
                }
                continuation.finish()
            }
        }
    }
}

/// Shared by the commit observer and the desk's feeder.
private final class BacklogCount: Sendable {
    let count = Mutex(0)
}
