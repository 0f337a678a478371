import Foundation
import Logging
import Synchronization
import Testing

@testable import LogqIndex

/// The store under a failing disk (FileFaults): full disks, I/O errors on write, fsync and read, short
/// and torn writes, renames that never happen. Under each, what was not made durable is never
/// acknowledged, what was acknowledged is stored exactly once, nothing stored is damaged (fsck stays
/// clean, nothing is quarantined), and the store works again once the fault clears.
@Suite struct FaultInjectionTests {
    let logger = Logger(label: "test")

    /// Counts the failures the store reports to its observer (logqd's `logq_store_errors_total`).
    final class FailureCounts: Sendable {
        let counts = Mutex<[StoreFailureStage: Int]>([:])
        subscript(stage: StoreFailureStage) -> Int { counts.withLock { $0[stage] ?? 0 } }
        var observer: StoreObserver {
            StoreObserver(
                walSynced: { _ in }, flushed: { _, _ in }, merged: { _, _ in },
                failed: { stage in self.counts.withLock { $0[stage, default: 0] += 1 } })
        }
    }

    func openStore(
        _ directory: String, failures: FailureCounts = FailureCounts(), flushRecordCount: Int = 200_000,
        maxQueuedFlushes: Int = 2
    ) throws -> LogStore {
        // No flush by age: a loaded machine must not make a flush happen where a test does not expect one.
        try LogStore(
            directory: directory,
            options: .init(
                flushRecordCount: flushRecordCount, flushAge: .seconds(3600), maxQueuedFlushes: maxQueuedFlushes,
                observer: failures.observer),
            logger: logger)
    }

    /// Every record the store holds (segments and memtables), as comparable keys.
    func storedKeys(_ store: LogStore) throws -> [String] {
        let snapshot = store.snapshot()
        let records =
            try snapshot.segments.flatMap { segment in
                try segment.blocks.indices.flatMap { try segment.readBlock($0) }
            } + snapshot.memtable
        return records.map(key).sorted()
    }

    func key(_ record: LogRecord) -> String { "\(record.timestamp)|\(record.fields.first.map { "\($0.value)" } ?? "")" }

    /// Opens `directory` as after a restart and checks that it holds exactly `expected`, that fsck finds
    /// nothing wrong, and that nothing was quarantined or left half-written.
    func expectStoredExactly(_ expected: [LogRecord], in directory: String) throws {
        let store = try openStore(directory)
        #expect(try storedKeys(store) == expected.map(key).sorted())
        #expect(store.statistics().quarantinedSegments == 0)
        store.close()
        let report = DataDirectoryCheck.run(directory: directory)
        #expect(report.isClean, "\(report.findings)")
        let leftovers = FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []
        #expect(!leftovers.contains { $0.hasSuffix(".tmp") }, "\(leftovers)")
    }

    /// A copy of the directory as it is on disk now: what a `kill -9` at this instant would leave.
    func crashCopy(of directory: String) throws -> String {
        let copy = temporaryDirectory(UUID().uuidString) + "/crashed"
        try FileManager.default.copyItem(atPath: directory, toPath: copy)
        try? FileManager.default.removeItem(atPath: copy + "/LOCK")
        return copy
    }

    // MARK: The WAL

    static let walWriteFaults: [(String, FileFault.Operation, FileFault.Effect)] = [
        ("fsync EIO", .fsync, .fail(errno: EIO)),
        ("write ENOSPC", .write, .fail(errno: ENOSPC)),
        ("torn write, ENOSPC", .write, .tornWrite(errno: ENOSPC)),
        ("write EIO", .write, .fail(errno: EIO)),
    ]

    @Test(arguments: 0..<walWriteFaults.count)
    func aBatchTheWALCouldNotMakeDurableIsRefusedAndTheNextIsStored(_ index: Int) async throws {
        let (name, operation, effect) = Self.walWriteFaults[index]
        let directory = temporaryDirectory("wal-\(index)")
        var factory = RecordFactory(seed: 300 + UInt64(index))
        let (before, refused, after) = (
            factory.records(count: 40), factory.records(count: 40), factory.records(count: 40)
        )
        let failures = FailureCounts()
        let store = try openStore(directory, failures: failures)
        try await store.append(before)

        let fault = FileFaults.inject(FileFault(operation, .startingWith(directory + "/wal/"), effect: effect))
        await #expect(throws: StorageError.self, "\(name)") { try await store.append(refused) }
        let crashedDuringFault = try crashCopy(of: directory)
        FileFaults.clear(fault)
        #expect(failures[.wal] == 1)

        try await store.append(after)
        let crashedAfter = try crashCopy(of: directory)
        store.close()
        // A crash during the fault, a crash after it and a clean stop each keep the acknowledged batches,
        // once, and never the refused one: the WAL was cut back to its last fsync.
        try expectStoredExactly(before, in: crashedDuringFault)
        try expectStoredExactly(before + after, in: crashedAfter)
        try expectStoredExactly(before + after, in: directory)
    }

    @Test func shortWritesAreCompletedEverywhere() async throws {
        let directory = temporaryDirectory()
        var factory = RecordFactory(seed: 310)
        let records = factory.records(count: 500)
        // Every write of the store takes only half of what it is given, from the WAL to the manifest.
        let fault = FileFaults.inject(FileFault(.write, .startingWith(directory + "/"), effect: .shortWrite))
        defer { FileFaults.clear(fault) }
        let store = try openStore(directory)
        for chunk in stride(from: 0, to: records.count, by: 100) {
            try await store.append(Array(records[chunk..<chunk + 100]))
        }
        let crashed = try crashCopy(of: directory)
        try await store.flush()
        store.close()
        try expectStoredExactly(records, in: crashed)
        try expectStoredExactly(records, in: directory)
    }

    @Test func aNewWALFileThatCannotBeCreatedPostponesTheFlushWhileCommitsGoOn() async throws {
        let directory = temporaryDirectory()
        var factory = RecordFactory(seed: 320)
        let (first, second) = (factory.records(count: 50), factory.records(count: 50))
        let failures = FailureCounts()
        let store = try openStore(directory, failures: failures)
        try await store.append(first)
        let fault = FileFaults.inject(
            FileFault(.create, .startingWith(directory + "/wal/"), effect: .fail(errno: ENOSPC)))
        await #expect(throws: StorageError.self) { try await store.flush() }
        try await store.append(second)
        #expect(failures[.walRotation] >= 1)
        #expect(store.statistics().segmentCount == 0)
        FileFaults.clear(fault)
        try await store.flush()
        #expect(store.statistics().segmentRecords == 100)
        store.close()
        try expectStoredExactly(first + second, in: directory)
    }

    // MARK: Flushes

    static let flushFaults: [(String, FileFault.Operation, String, FileFault.Effect)] = [
        ("segment write EIO", .write, "/segments/", .fail(errno: EIO)),
        ("segment torn write, ENOSPC", .write, "/segments/", .tornWrite(errno: ENOSPC)),
        ("segment fsync EIO", .fsync, "/segments/", .fail(errno: EIO)),
        ("segment file cannot be created", .create, "/segments/", .fail(errno: ENOSPC)),
        ("segment rename never happens", .rename, "/segments/", .fail(errno: EIO)),
        ("manifest write ENOSPC", .write, "/MANIFEST", .fail(errno: ENOSPC)),
        ("manifest fsync EIO", .fsync, "/MANIFEST", .fail(errno: EIO)),
        ("manifest rename never happens", .rename, "/MANIFEST", .fail(errno: EIO)),
        // The rename happened, but its directory's fsync failed: the new manifest may or may not be on disk.
        ("data directory fsync EIO", .fsync, "", .fail(errno: EIO)),
    ]

    @Test(arguments: 0..<flushFaults.count)
    func aFailedFlushKeepsTheRecordsAcknowledgedAndServedAndIsRetried(_ index: Int) async throws {
        let (name, operation, pathPart, effect) = Self.flushFaults[index]
        let directory = temporaryDirectory("flush-\(index)")
        var factory = RecordFactory(seed: 330 + UInt64(index))
        // Two UTC days: the flush writes two segments, and the fault may strike after the first.
        let first = factory.records(count: 60) + factory.records(count: 60, start: 1_795_524_400_000_000_000)
        let second = factory.records(count: 60)
        let failures = FailureCounts()
        let store = try openStore(directory, failures: failures)
        try await store.append(first)

        // "" is the data directory's own fsync, after the manifest's rename.
        let scope: FileFault.Scope = pathPart.isEmpty ? .exactly(directory) : .startingWith(directory + pathPart)
        let fault = FileFaults.inject(FileFault(operation, scope, effect: effect))
        await #expect(throws: StorageError.self, "\(name)") { try await store.flush() }
        #expect(failures[.flush] >= 1, "\(name)")
        // Writers are still served by the WAL, and queries still see every record.
        try await store.append(second)
        #expect(try storedKeys(store) == (first + second).map(key).sorted(), "\(name)")
        let crashedDuringFault = try crashCopy(of: directory)

        FileFaults.clear(fault)
        try await store.flush()
        #expect(store.statistics().memtableRecords == 0, "\(name)")
        #expect(store.statistics().segmentRecords == first.count + second.count, "\(name)")
        store.close()
        try expectStoredExactly(first + second, in: crashedDuringFault)
        try expectStoredExactly(first + second, in: directory)
    }

    @Test func aFlushThatKeepsFailingHoldsBackNewWritesUntilTheDiskRecovers() async throws {
        let directory = temporaryDirectory()
        var factory = RecordFactory(seed: 350)
        let batches = (0..<3).map { _ in factory.records(count: 10) }
        // A memtable is due at 10 records and one sealed memtable may wait: the second seal waits for the
        // flush, and the commit thread with it.
        let store = try openStore(directory, flushRecordCount: 10, maxQueuedFlushes: 1)
        let fault = FileFaults.inject(
            FileFault(.write, .startingWith(directory + "/segments/"), effect: .fail(errno: ENOSPC)))
        try await store.append(batches[0])
        try await store.append(batches[1])
        let held = store.enqueue(batches[2])
        let acknowledged = Atomic<Bool>(false)
        let waiter = Task {
            try await held.wait()
            acknowledged.store(true, ordering: .releasing)
        }
        // While the disk stays full the third batch is never acknowledged, however long this waits.
        try await Task.sleep(for: .seconds(2))
        let acknowledgedDuringFault = acknowledged.load(ordering: .acquiring)
        #expect(!acknowledgedDuringFault)
        FileFaults.clear(fault)
        try await waiter.value
        try await store.flush()
        store.close()
        try expectStoredExactly(batches.flatMap { $0 }, in: directory)
    }

    // MARK: Reading

    @Test(arguments: ["/segments/", "/wal/", "/MANIFEST"])
    func aReadErrorAtStartRefusesToOpenAndSetsNothingAside(_ pathPart: String) async throws {
        let directory = temporaryDirectory("read-\(pathPart.filter(\.isLetter))")
        var factory = RecordFactory(seed: 360)
        let (flushed, unflushed) = (factory.records(count: 50), factory.records(count: 50))
        let store = try openStore(directory)
        try await store.append(flushed)
        try await store.flush()
        try await store.append(unflushed)
        let crashed = try crashCopy(of: directory)
        store.close()

        let fault = FileFaults.inject(FileFault(.read, .startingWith(crashed + pathPart), effect: .fail(errno: EIO)))
        #expect {
            try openStore(crashed).close()
        } throws: { error in
            guard case .io(_, _, EIO) = error as? StorageError else { return false }
            return true
        }
        FileFaults.clear(fault)
        // A sound segment that could not be read is not damage: nothing went to quarantine.
        #expect(!FileManager.default.fileExists(atPath: crashed + "/quarantine"))
        try expectStoredExactly(flushed + unflushed, in: crashed)
    }

    @Test func aReadErrorDuringAQueryFailsThatReadAndNothingElse() async throws {
        let directory = temporaryDirectory()
        var factory = RecordFactory(seed: 370)
        let records = factory.records(count: 300)
        let store = try openStore(directory)
        try await store.append(records)
        try await store.flush()
        store.close()
        // Reopened, so no block is in the cache yet: every read below goes to the disk.
        let reopened = try openStore(directory)
        defer { reopened.close() }
        let segment = try #require(reopened.snapshot().segments.first)
        let fault = FileFaults.inject(
            FileFault(.read, .startingWith(directory + "/segments/"), effect: .fail(errno: EIO)))
        #expect {
            try segment.readBlock(0)
        } throws: { error in
            guard case .io(_, _, EIO) = error as? StorageError else { return false }
            return true
        }
        FileFaults.clear(fault)
        // The same reader serves the block once the disk reads again, and it was never set aside.
        #expect(try storedKeys(reopened) == records.map(key).sorted())
        #expect(reopened.statistics().quarantinedSegments == 0)
    }
}
