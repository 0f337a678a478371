import Foundation
import Logging
import Testing

@testable import LogqIndex

@Suite struct MergeTests {
    @Test func smallSegmentsMergeWhileQueriesReadConsistentSnapshots() async throws {
        let directory = temporaryDirectory()
        var factory = RecordFactory(seed: 31)
        let records = factory.records(count: 3000)
        let store = try LogStore(
            directory: directory,
            options: .init(mergeFanIn: 4, segment: .init(recordsPerBlock: 64, messageGroupBytes: 128)),
            logger: Logger(label: "test"))
        defer { store.close() }

        // A reader that keeps reading whole snapshots while segments are flushed and merged under it.
        let reading = Task.detached {
            var snapshots = 0
            while !Task.isCancelled {
                let snapshot = store.snapshot()
                var seen = snapshot.memtable.count
                for segment in snapshot.segments {
                    for block in segment.blocks.indices { seen += try segment.readBlock(block).count }
                }
                #expect(seen == snapshot.memtable.count + snapshot.segments.reduce(0) { $0 + $1.recordCount })
                snapshots += 1
            }
            return snapshots
        }
        for start in stride(from: 0, to: records.count, by: 100) {
            try await store.append(Array(records[start..<(start + 100)]))
            try await store.flush()
        }
        // Merges run when the flush thread is idle: wait until the tiers settle.
        var statistics = store.statistics()
        for _ in 0..<200 where statistics.segmentCount >= 4 {
            try await Task.sleep(for: .milliseconds(20))
            statistics = store.statistics()
        }
        reading.cancel()
        #expect(try await reading.value > 0)
        #expect(statistics.segmentCount < 4, "30 flushes should have merged into fewer than 4 segments")
        #expect(statistics.segmentRecords == records.count)

        let snapshot = store.snapshot()
        let stored = try snapshot.segments.flatMap { segment in
            try segment.blocks.indices.flatMap { try segment.readBlock($0) }
        }
        #expect(stored.sortedByTime() == records.sortedByTime())
        for segment in snapshot.segments { try segment.verifyInvariants() }
        // Merged-away files are gone; what remains is exactly what the manifest lists.
        let manifest = try Manifest.load(from: directory + "/MANIFEST.json")
        let onDisk = try FileManager.default.subpathsOfDirectory(atPath: directory + "/segments")
            .filter { $0.hasSuffix(".seg") }.map { "segments/" + $0 }
        #expect(Set(onDisk) == Set(manifest.segments.map(\.path)))
        #expect(DataDirectoryCheck.run(directory: directory).isClean)
    }

    @Test func aFullTierThatCannotMergeUnderTheCapLeavesTheNextRunMergeable() {
        func summary(_ name: String, records: Int, at time: Int64) -> SegmentSummary {
            SegmentSummary(
                path: "segments/d/default/\(name)", recordCount: records, minTime: time, maxTime: time, byteCount: 1)
        }
        // The two oldest are too big to merge with anything under a cap of 400: the next three merge.
        let tier = [
            summary("e", records: 100, at: 5), summary("a", records: 380, at: 1), summary("b", records: 390, at: 2),
            summary("c", records: 100, at: 3), summary("d", records: 200, at: 4),
        ]
        let chosen = LogStore.mergeInputs(tier, fanIn: 4, maxRecords: 400)
        #expect(chosen?.map(\.path.last) == ["c", "d", "e"])
        // At most `fanIn` inputs, the oldest first.
        let small = (0..<6).map { summary("s\($0)", records: 10, at: Int64($0)) }
        #expect(LogStore.mergeInputs(small, fanIn: 4, maxRecords: 400)?.count == 4)
        #expect(LogStore.mergeInputs(small, fanIn: 4, maxRecords: 400)?.first?.minTime == 0)
        // No two neighbours fit: nothing to merge.
        #expect(LogStore.mergeInputs(Array(tier[1...2]), fanIn: 4, maxRecords: 400) == nil)
    }
}
