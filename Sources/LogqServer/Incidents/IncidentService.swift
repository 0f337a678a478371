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
    /// Records committed but not yet given to the desk beyond which commits wait for it.
    var backlogLimit = 200_000
    /// At shutdown, how long the desk may take to evaluate the records still waiting for it.
    var drainBound: Duration = .seconds(15)

    func run() async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: [LogRecord].self)
        let backlog = DeskBacklog(recordLimit: backlogLimit)
        defer { backlog.beginShutdown() }
        // A record is never dropped on its way to the rules. When the desk falls behind, the commit thread
        // waits for it, which holds back acknowledgements and so the senders: memory stays bounded.
        let token = store.addCommitObserver { records in
            backlog.add(records.count)
            continuation.yield(records)
        }
        defer { store.removeCommitObserver(token) }
        let desk = desk
        let drainBound = drainBound
        let logger = logger
        await withDiscardingTaskGroup { group in
            group.addTask {
                var skipped = 0
                for await batch in stream {
                    if let since = backlog.shutdownStarted, ContinuousClock.now - since > drainBound {
                        skipped += batch.count
                    } else {
                        await desk.ingest(batch)
                    }
                    backlog.take(batch.count)
                }
                if skipped > 0 {
                    logger.warning(
                        "shutdown: \(skipped) stored records were not evaluated by the alert rules within \(drainBound)"
                    )
                }
            }
            group.addTask {
                while !Task.isCancelledOrShuttingDown {
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
                    do {
                        try await desk.tick(backlog: backlog.isBehind)
                    } catch {
                        logger.error("the incident database could not be written: \(error)")
                    }
                    await notifier.runDue()
                }
                // The listeners have stopped by now: what waits is drained (within the bound), and commits
                // made meanwhile (the server's own log lines) no longer wait for the desk.
                backlog.beginShutdown()
                continuation.finish()
            }
        }
    }
}

/// The records between the commit observer and the desk. The commit thread waits while too many are
/// waiting, until shutdown begins.
final class DeskBacklog: @unchecked Sendable {
    private let condition = NSCondition()
    private var batches = 0
    private var records = 0
    private var waiting = true
    private var shutdown: ContinuousClock.Instant?
    let recordLimit: Int

    init(recordLimit: Int) { self.recordLimit = recordLimit }

    /// On the commit thread, before the batch is handed over.
    func add(_ count: Int) {
        condition.lock()
        while waiting && records >= recordLimit { condition.wait() }
        batches += 1
        records += count
        condition.unlock()
    }

    func take(_ count: Int) {
        condition.lock()
        batches -= 1
        records -= count
        condition.broadcast()
        condition.unlock()
    }

    func beginShutdown() {
        condition.lock()
        shutdown = shutdown ?? .now
        waiting = false
        condition.broadcast()
        condition.unlock()
    }

    /// While any batch waits, no source counts as idle.
    var isBehind: Bool {
        condition.lock()
        defer { condition.unlock() }
        return batches > 0
    }

    var shutdownStarted: ContinuousClock.Instant? {
        condition.lock()
        defer { condition.unlock() }
        return shutdown
    }
}
