import Foundation
import Logging
import LogqIndex
import Synchronization
import Testing

@testable import LogqServer

/// The queue between the store's commits and the incident desk is bounded: once the desk is
/// `recordLimit` records behind, the commit thread waits for it, so later batches are not acknowledged
/// (and senders are held back) until the desk catches up. The memory it holds is at most the limit plus
/// one batch.
@Suite struct DeskBacklogTests {
    static func records(_ count: Int, _ label: String) -> [LogRecord] {
        (0..<count).map { index in
            LogRecord(
                timestamp: 1_795_910_400_000_000_000 + Int64(index), level: .info, service: "order", host: "app-01",
                source: "test", message: "\(label) \(index)", fields: [])
        }
    }

    @Test func commitsWaitOnceTheDeskIsALimitBehindAndResumeWhenItCatchesUp() async throws {
        let directory = "/tmp/logq-desk-backlog-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let store = try LogStore(
            directory: directory, options: .init(flushAge: .seconds(3600)), logger: Logger(label: "t"))
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let backlog = DeskBacklog(recordLimit: 100)
        // The desk's side: batches handed over and not yet taken (nobody takes them until the test does).
        let handedOver = Mutex<[Int]>([])
        // As IncidentService does: count the batch in, on the commit thread, then hand it over.
        let token = store.addCommitObserver { records in
            backlog.add(records.count)
            handedOver.withLock { $0.append(records.count) }
        }
        defer { store.removeCommitObserver(token) }

        try await store.append(Self.records(100, "first"))
        // Acknowledged (its fsync came before the hand-over), but its hand-over waits: the desk is full.
        try await store.append(Self.records(30, "second"))
        let third = store.enqueue(Self.records(10, "third"))
        let acknowledged = Atomic<Bool>(false)
        let waiter = Task {
            try await third.wait()
            acknowledged.store(true, ordering: .releasing)
        }
        // However long this waits, the third batch stays unacknowledged while the desk does not take.
        try await Task.sleep(for: .seconds(1))
        let acknowledgedWhileBehind = acknowledged.load(ordering: .acquiring)
        #expect(!acknowledgedWhileBehind)
        #expect(handedOver.withLock { $0 } == [100], "one batch over the limit is held, not queued")
        #expect(backlog.isBehind)

        // The desk takes the first batch: the second is handed over, the commit thread goes on.
        backlog.take(100)
        try await waiter.value
        // The commit thread hands batches over in order, before it commits the next one.
        #expect(handedOver.withLock { $0 }.prefix(2) == [100, 30])

        // At shutdown nothing waits for the desk any more.
        backlog.beginShutdown()
        try await store.append(Self.records(500, "after shutdown began"))
        #expect(handedOver.withLock { $0 }.prefix(3) == [100, 30, 10])
    }
}
