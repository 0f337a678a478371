import Foundation
import Logging
import Testing

@testable import LogqIndex

@Suite struct QuarantineAndFsckTests {
    let logger = Logger(label: "test")

    /// Two days of records in two segments; the first one's index is then damaged on disk.
    func storeWithDamagedSegment() async throws -> (directory: String, damaged: String, intact: Int) {
        let directory = temporaryDirectory()
        var factory = RecordFactory(seed: 21)
        let first = factory.records(count: 500, start: 1_795_424_400_000_000_000)
        let second = factory.records(count: 300, start: 1_795_524_400_000_000_000)
        let store = try LogStore(directory: directory, logger: logger)
        try await store.append(first + second)
        store.close()
        let manifest = try Manifest.load(from: directory + "/MANIFEST.json")
        let damaged = manifest.segments.first { $0.recordCount == 500 }!.path
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + damaged)))
        let reader = try SegmentReader(path: directory + "/" + damaged)
        bytes[reader.blocks.last!.offset + reader.blocks.last!.storedLength + 3] ^= 0x40  // inside the index section
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + damaged))
        return (directory, damaged, 300)
    }

    @Test func damagedSegmentIsQuarantinedAndTheRestServed() async throws {
        let (directory, damaged, intact) = try await storeWithDamagedSegment()
        let before = DataDirectoryCheck.run(directory: directory)
        #expect(!before.isClean)
        #expect(before.findings.contains { $0.severity == .error && $0.path == damaged })

        let store = try LogStore(directory: directory, logger: logger)
        defer { store.close() }
        #expect(store.statistics().segmentRecords == intact)
        #expect(store.statistics().quarantinedSegments == 1)
        #expect(!FileManager.default.fileExists(atPath: directory + "/" + damaged))
        #expect(
            FileManager.default.fileExists(
                atPath: directory + "/quarantine/" + damaged.replacingOccurrences(of: "/", with: "_")))

        let after = DataDirectoryCheck.run(directory: directory)
        #expect(after.isClean, "\(after.findings)")
        #expect(after.findings.contains { $0.severity == .warning && $0.path.hasPrefix("quarantine/") })
        #expect(after.recordsChecked == intact)
    }

    @Test func fsckReportsWALCorruptionAndOrphans() async throws {
        let directory = temporaryDirectory()
        var factory = RecordFactory(seed: 22)
        // No flush by age, however long a loaded machine keeps this test waiting.
        let store = try LogStore(directory: directory, options: .init(flushAge: .seconds(3600)), logger: logger)
        try await store.append(factory.records(count: 50))
        try await store.append(factory.records(count: 50))
        let copy = temporaryDirectory() + "/copy"
        try FileManager.default.copyItem(atPath: directory, toPath: copy)
        store.close()
        let wal = try #require(try FileManager.default.contentsOfDirectory(atPath: copy + "/wal").sorted().first)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: copy + "/wal/" + wal)))
        bytes[WALFormat.headerSize + 20] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: copy + "/wal/" + wal))
        try SegmentWriter().write(factory.records(count: 3), to: copy + "/segments/orphan.seg")
        try FileManager.default.createDirectory(
            atPath: copy + "/segments/2026-11-23/c0", withIntermediateDirectories: true)
        try SegmentWriter().write(factory.records(count: 3), to: copy + "/segments/2026-11-23/c0/000000000777.seg")

        let report = DataDirectoryCheck.run(directory: copy)
        #expect(!report.isClean)
        #expect(
            report.findings.contains {
                $0.severity == .error && $0.path == "wal/" + wal && $0.message.contains("checksum")
            })
        #expect(report.findings.contains { $0.severity == .warning && $0.path.hasSuffix("000000000777.seg") })
        #expect(DataDirectoryCheck.run(directory: directory).isClean)
        #expect(!DataDirectoryCheck.run(directory: "/nonexistent/logq").isClean)
    }
}
