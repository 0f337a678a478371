import Foundation
import Logging
import LogqBackup
import LogqIndex
import Testing

@Suite struct BackupRepositoryTests {
    let root: String

    init() {
        root = "/tmp/logq-backup-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    static func record(_ index: Int, day: Int = 0) -> LogRecord {
        LogRecord(
            timestamp: 1_795_424_400_000_000_000 + Int64(day) * 86_400_000_000_000 + Int64(index) * 1_000_000,
            level: index % 5 == 0 ? .error : .info, service: ["order", "member", "gateway"][index % 3], host: "app-01",
            source: "tcp", message: "request \(index) took \(index % 97) ms for user \(index % 13)",
            fields: [Field("seq", .int(Int64(index)))])
    }

    /// A backup of `store` taken as logqd takes one.
    func backup(
        _ store: LogStore, into repository: BackupRepository, now: Date = Date()
    ) async throws -> BackupManifest {
        try await BackupRepository.Snapshot.taking(of: store) { try repository.create($0, now: now) }
    }

    func openStore(_ name: String) throws -> LogStore {
        try LogStore(directory: root + "/" + name, options: .init(mergeFanIn: 100), logger: Logger(label: "test"))
    }

    static func contents(_ store: LogStore) throws -> [LogRecord] {
        let snapshot = store.snapshot()
        var records = snapshot.memtable
        for segment in snapshot.segments {
            for block in segment.blocks.indices { records += try segment.readBlock(block) }
        }
        return records.sorted { $0.timestamp < $1.timestamp }
    }

    @Test func restoreGivesBackExactlyTheSnapshotAndIncrementalBackupsCopyOnlyNewFiles() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try openStore("data")
        defer { store.close() }
        let repository = BackupRepository(path: root + "/backups")
        try await store.append((0..<3000).map { Self.record($0) })
        let first = try await backup(store, into: repository)
        #expect(first.copiedFiles == first.files.count && first.reusedFiles == 0)
        #expect(first.recordCount == 3000)

        // Nothing changed: nothing is copied.
        let unchanged = try await backup(store, into: repository)
        #expect(unchanged.copiedFiles == 0 && unchanged.copiedBytes == 0)
        #expect(unchanged.reusedFiles == first.files.count)

        // A new day: only its segment is copied; yesterday's are referenced.
        try await store.append((0..<500).map { Self.record($0, day: 1) })
        let next = try await backup(store, into: repository)
        #expect(next.copiedFiles == 1)
        #expect(next.reusedFiles == first.files.count)
        #expect(next.copiedBytes == next.totalBytes - first.totalBytes)
        #expect(repository.list().map(\.id) == [first.id, unchanged.id, next.id])

        let report = try repository.restore(next.id, to: root + "/restored")
        #expect(report.records == 3500)
        let restored = try openStore("restored")
        defer { restored.close() }
        #expect(try Self.contents(restored) == Self.contents(store))
        #expect(DataDirectoryCheck.run(directory: root + "/restored").isClean)
        // The restored store takes new writes after the restored segments.
        try await restored.append([Self.record(9999, day: 1)])
        try await restored.flush()
        #expect(try Self.contents(restored).count == 3501)
    }

    @Test func verifyFindsAFlippedByteAndAManifestThatLies() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try openStore("data")
        defer { store.close() }
        let repository = BackupRepository(path: root + "/backups")
        try await store.append((0..<2000).map { Self.record($0) })
        let manifest = try await backup(store, into: repository)
        #expect(try repository.verify(manifest.id).isIntact)

        // One byte flipped in the middle of a segment's object.
        let victim = manifest.files.first { $0.kind == .segment }!
        let object = root + "/backups/objects/\(victim.sha256.prefix(2))/\(victim.sha256)"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: object))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: object))
        let damaged = try repository.verify(manifest.id)
        #expect(!damaged.isIntact)
        #expect(damaged.problems.contains { $0.contains(victim.path) && $0.contains("changed") })
        #expect(throws: BackupError.self) { try repository.restore(manifest.id, to: root + "/restored") }
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: object))
        #expect(try repository.verify(manifest.id).isIntact)

        // A manifest edited without its checksum is refused; one whose checksum was redone to match
        // its lie (a wrong record count) is caught by opening the segment.
        let manifestPath = root + "/backups/backups/\(manifest.id)/manifest.json"
        var lying = manifest
        lying.segments[0].recordCount += 1
        let encoded = try JSONEncoder().encode(lying)
        try encoded.write(to: URL(fileURLWithPath: manifestPath))
        #expect(throws: BackupError.self) { try repository.load(manifest.id) }
        #expect(!(try repository.verify(manifest.id)).isIntact)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [manifestPath]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let digest = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
        try Data((digest + "\n").utf8).write(to: URL(fileURLWithPath: manifestPath + ".sha256"))
        let lied = try repository.verify(manifest.id)
        #expect(lied.problems.contains { $0.contains("records; the manifest says") })
    }

    @Test func pruneKeepsEveryFileANewerBackupNeeds() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try openStore("data")
        defer { store.close() }
        let repository = BackupRepository(path: root + "/backups")
        let now = Date()
        try await store.append((0..<1000).map { Self.record($0) })
        let old = try await backup(store, into: repository, now: now.addingTimeInterval(-100 * 86_400))
        // A file only the old backup holds: the segment retention deleted since.
        let onlyOld = try await {
            try await store.append((0..<300).map { Self.record($0, day: 1) })
            return try await backup(store, into: repository, now: now.addingTimeInterval(-95 * 86_400))
        }()
        try store.removeSegments(
            Set(store.segmentSummaries().filter { $0.day == onlyOld.segments.map(\.day).max()! }.map(\.path)))
        let recent = try await backup(store, into: repository, now: now.addingTimeInterval(-1 * 86_400))

        let report = try repository.prune(keep: .seconds(90 * 86_400), now: now)
        #expect(report.removedBackups == [old.id, onlyOld.id])
        #expect(report.removedObjects == 1)
        #expect(repository.list().map(\.id) == [recent.id])
        #expect(try repository.verify(recent.id).isIntact)
        _ = try repository.restore(recent.id, to: root + "/restored")
        let restored = try openStore("restored")
        defer { restored.close() }
        #expect(try Self.contents(restored) == Self.contents(store))

        // The newest backup stays whatever its age.
        let none = try repository.prune(keep: .seconds(1), now: now.addingTimeInterval(1000 * 86_400))
        #expect(none.removedBackups.isEmpty && repository.list().count == 1)
    }

    @Test func aCrashMidBackupLeavesNoBackupThatLooksComplete() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try openStore("data")
        defer { store.close() }
        let repository = BackupRepository(path: root + "/backups")
        try await store.append((0..<500).map { Self.record($0) })
        let complete = try await backup(store, into: repository)
        // What a killed backup leaves: a partial folder with a manifest, and a half-copied object.
        let partial = root + "/backups/backups/.partial-20991231T000000Z"
        try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: root + "/backups/backups/\(complete.id)/manifest.json", toPath: partial + "/manifest.json")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: root + "/backups/objects/incoming-20991231T000000Z.partial"))
        #expect(repository.list().map(\.id) == [complete.id])
        #expect(throws: BackupError.self) { try repository.load(".partial-20991231T000000Z") }

        let next = try await backup(store, into: repository)
        #expect(repository.list().map(\.id) == [complete.id, next.id])
        #expect(!FileManager.default.fileExists(atPath: partial))
        #expect(!FileManager.default.fileExists(atPath: root + "/backups/objects/incoming-20991231T000000Z.partial"))
    }

    @Test func badTargetsGiveClearErrorsAndLoseNothing() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try openStore("data")
        defer { store.close() }
        try await store.append((0..<100).map { Self.record($0) })
        let repository = BackupRepository(path: root + "/backups")
        let manifest = try await backup(store, into: repository)

        // A restore into a folder that holds something refuses and leaves the file alone.
        let occupied = root + "/occupied"
        try FileManager.default.createDirectory(atPath: occupied, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: occupied + "/notes.txt"))
        #expect(throws: BackupError.targetNotEmpty(path: occupied)) {
            try repository.restore(manifest.id, to: occupied)
        }
        #expect(try String(contentsOfFile: occupied + "/notes.txt", encoding: .utf8) == "keep me")

        // A backup folder that is a file, or under one.
        let file = root + "/a-file"
        try Data().write(to: URL(fileURLWithPath: file))
        for path in [file, file + "/below"] {
            do {
                _ = try await backup(store, into: BackupRepository(path: path))
                Issue.record("a backup into \(path) should fail")
            } catch let error as BackupError {
                guard case .repositoryUnusable = error else {
                    Issue.record("unexpected \(error)")
                    continue
                }
                #expect(error.description.contains("backup.dir"))
            }
        }
        #expect(throws: BackupError.notFound(id: "nope", repository: root + "/backups")) {
            try repository.restore("nope", to: root + "/fresh")
        }
    }
}
