import Foundation
import Logging
import LogqIncidents
import LogqIndex
import ServiceLifecycle

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
        let token = store.addCommitObserver { continuation.yield($0) }
        defer { store.removeCommitObserver(token) }
        let desk = desk
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await batch in stream { await desk.ingest(batch) }
            }
            group.addTask {
                while !Task.isCancelledOrShuttingDown {
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
                    do {
                        try await desk.tick()
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
