import Foundation
import Logging
import Testing

@testable import LogqIndex

@Suite struct LogStoreTests {
    let logger = Logger(label: "test")

    @Test func appendedRecordsSurviveFlushAndReopen() async throws {
        let directory = temporaryDirectory()
        var factory = RecordFactory(seed: 9)
        // Records spanning three UTC days go to three segments.
        let records =
            factory.records(count: 600, start: 1_795_424_400_000_000_000)
            + factory.records(count: 10, start: 1_795_524_400_000_000_000)
            + factory.records(count: 10, start: 1_795_624_400_000_000_000)
        // No flush by age: on a loaded machine the appends can take longer than the default 30 s.
        let store = try LogStore(directory: directory, options: .init(flushAge: .seconds(3600)), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for chunk in stride(from: 0, to: records.count, by: 50) {
                group.addTask { try await store.append(Array(records[chunk..<min(chunk + 50, records.count)])) }
            }
            try await group.waitForAll()
        }
        #expect(store.snapshot().memtable.count == records.count)
        try await store.flush()
        let statistics = store.statistics()
        #expect(statistics.segmentCount == 3)
        #expect(statistics.segmentRecords == records.count)
        #expect(statistics.memtableRecords == 0)
        store.close()
        await #expect(throws: StorageError.closed) { try await store.append(records) }

        let reopened = try LogStore(directory: directory, logger: logger)
        defer { reopened.close() }
        let stored = try reopened.snapshot().segments.flatMap { segment in
            try (0..<segment.blocks.count).flatMap { try segment.readBlock($0) }
        }
        #expect(stored.sorted { $0.timestamp < $1.timestamp } == records.sortedByTime())
        #expect(FileManager.default.fileExists(atPath: directory + "/segments/2026-11-23/c0"))
    }

    @Test func walReplaysWhatWasNeverFlushed() async throws {
        let directory = temporaryDirectory()
        var factory = RecordFactory(seed: 10)
        let records = factory.records(count: 100)
        // No flush by age, however long a loaded machine keeps this test waiting.
        let store = try LogStore(directory: directory, options: .init(flushAge: .seconds(3600)), logger: logger)
        try await store.append(records)
        // A crash: copy the directory as it is on disk, without closing (which would flush).
        let crashed = temporaryDirectory() + "/copy"
        try FileManager.default.copyItem(atPath: directory, toPath: crashed)
        store.close()

        let recovered = try LogStore(directory: crashed, logger: logger)
        defer { recovered.close() }
        let snapshot = recovered.snapshot()
        let stored = try snapshot.segments.flatMap { try $0.readBlock(0) } + snapshot.memtable
        #expect(stored.count == records.count)
        #expect(Set(stored.map(\.timestamp)) == Set(records.map(\.timestamp)))
        // Replay flushed into a segment, and the WAL files it covered are gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: crashed + "/wal").count == 1)
    }

    @Test func orphanSegmentsFromAnInterruptedFlushAreRemoved() async throws {
        let directory = temporaryDirectory()
        var factory = RecordFactory(seed: 12)
        let store = try LogStore(directory: directory, logger: logger)
        try await store.append(factory.records(count: 10))
        store.close()
        let orphan = directory + "/segments/2026-11-23/c0/000000000099.seg"
        try SegmentWriter().write(factory.records(count: 3), to: orphan)
        let reopened = try LogStore(directory: directory, logger: logger)
        defer { reopened.close() }
        #expect(!FileManager.default.fileExists(atPath: orphan))
        #expect(reopened.statistics().segmentRecords == 10)
    }

    @Test func utcDayFormatsCalendarDates() {
        #expect(UTCDay(timestamp: 0).description == "1970-01-01")
        #expect(UTCDay(timestamp: 1_795_424_400_000_000_000).description == "2026-11-23")
        #expect(UTCDay(timestamp: -1).description == "1969-12-31")
        #expect(TimestampFormat.rfc3339(1_795_424_400_123_000_000) == "2026-11-23T09:00:00.123Z")
        #expect(TimestampFormat.rfc3339(1_795_424_400_000_000_001) == "2026-11-23T09:00:00.000000001Z")
    }
}
