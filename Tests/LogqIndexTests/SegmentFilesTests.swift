import Foundation
import Logging
import Testing

@testable import LogqIndex

/// What retention and backup build on: segments grouped by day and class, removed and hard-linked.
@Suite struct SegmentFilesTests {
    static let day: Int64 = 86_400 * 1_000_000_000

    func allRecords(_ store: LogStore) throws -> [LogRecord] {
        let snapshot = store.snapshot()
        var records = snapshot.memtable
        for segment in snapshot.segments {
            for block in segment.blocks.indices { records += try segment.readBlock(block) }
        }
        return records.sorted { ($0.timestamp, $0.message) < ($1.timestamp, $1.message) }
    }

    @Test func segmentsAreGroupedByDayAndClassAndRemovedWhole() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var factory = RecordFactory(seed: 5)
        // Three days of records; the classifier puts debug records in class "debug", names no other.
        let records = (0..<3).flatMap { day in
            factory.records(count: 400, start: 1_795_424_400_000_000_000 + Int64(day) * Self.day)
        }
        let store = try LogStore(
            directory: directory,
            options: .init(mergeFanIn: 100, retentionClass: { $0.level == .debug ? "debug" : "../escape" }),
            logger: Logger(label: "test"))
        defer { store.close() }
        try await store.append(records)
        try await store.flush()

        let summaries = store.segmentSummaries()
        #expect(Set(summaries.map(\.retentionClass)) == ["debug", RetentionClassName.default])
        #expect(Set(summaries.map(\.day)).count == 3)
        #expect(summaries.reduce(0) { $0 + $1.recordCount } == records.count)
        for summary in summaries {
            let reader = try SegmentReader(path: directory + "/" + summary.path)
            let held = try reader.blocks.indices.flatMap { try reader.readBlock($0) }
            #expect(held.allSatisfy { ($0.level == .debug) == (summary.retentionClass == "debug") })
            #expect(held.allSatisfy { UTCDay(timestamp: $0.timestamp).description == summary.day })
        }

        // Removing the debug class of the first day takes exactly its records away, and survives a restart.
        let firstDay = summaries.map(\.day).min()!
        let doomed = summaries.filter { $0.day == firstDay && $0.retentionClass == "debug" }
        let removed = try store.removeSegments(Set(doomed.map(\.path)))
        #expect(removed == doomed)
        #expect(!FileManager.default.fileExists(atPath: directory + "/segments/\(firstDay)/debug"))
        let expected = records.filter {
            !($0.level == .debug && UTCDay(timestamp: $0.timestamp).description == firstDay)
        }.sorted { ($0.timestamp, $0.message) < ($1.timestamp, $1.message) }
        #expect(try allRecords(store) == expected)
        store.close()
        let reopened = try LogStore(directory: directory, logger: Logger(label: "test"))
        defer { reopened.close() }
        #expect(try allRecords(reopened) == expected)
        #expect(try reopened.removeSegments(Set(doomed.map(\.path))).isEmpty)
    }

    @Test func linkedSegmentsStayWhileTheStoreMergesAndDeletes() async throws {
        let directory = temporaryDirectory()
        let staging = directory + "-staging"
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: staging)
        }
        var factory = RecordFactory(seed: 6)
        let records = factory.records(count: 800)
        let store = try LogStore(
            directory: directory, options: .init(mergeFanIn: 2, segment: .init(recordsPerBlock: 64)),
            logger: Logger(label: "test"))
        defer { store.close() }
        try await store.append(Array(records[..<400]))
        try await store.flush()
        let linked = try store.linkSegments(into: staging)
        #expect(!linked.isEmpty)
        // More data and merges, then retention removes everything: the linked files are untouched.
        try await store.append(Array(records[400...]))
        try await store.flush()
        try store.removeSegments(Set(store.segmentSummaries().map(\.path)))
        var held: [LogRecord] = []
        for summary in linked {
            let reader = try SegmentReader(path: staging + "/" + summary.path)
            try reader.verifyInvariants()
            held += try reader.blocks.indices.flatMap { try reader.readBlock($0) }
        }
        #expect(held.count == 400)
        #expect(Set(held.map(\.message)) == Set(records[..<400].map(\.message)))
    }
}
