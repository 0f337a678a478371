import Foundation
import LogqIndex

extension BackupRepository {
    /// What a new backup is made of: a staging folder of hard links to the store's segments (see
    /// `LogStore.linkSegments`), their summaries, and other files to keep (the configuration).
    public struct Snapshot: Sendable {
        public var stagingDirectory: String
        public var segments: [SegmentSummary]
        public var configFile: String?
        /// Databases written into the staging folder, by their path relative to it and to the data directory.
        public var databases: [String]

        public init(
            stagingDirectory: String, segments: [SegmentSummary], configFile: String? = nil, databases: [String] = []
        ) {
            self.stagingDirectory = stagingDirectory
            self.segments = segments
            self.configFile = configFile
            self.databases = databases
        }
    }

    /// Writes a complete backup of `snapshot`, copying only contents no earlier backup holds. A segment the
    /// newest backup already holds (same path, size, records and time range: segment files are never
    /// rewritten in place) is referenced without reading it again.
    public func create(
        _ snapshot: Snapshot, now: Date = Date(), bytesPerSecond: Int? = nil
    ) throws(BackupError) -> BackupManifest {
        try withLock { () throws(BackupError) -> BackupManifest in
            removeLeftovers()
            let started = DispatchTime.now().uptimeNanoseconds
            let id = newID(now)
            let partial = backupsDirectory + "/.partial-" + id
            do {
                try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
            } catch {
                throw .repositoryUnusable(path: path, reason: "cannot create \(partial)")
            }
            var known: [String: BackupManifest.File] = [:]
            if let newest = completeIDs().last, let previous = try? load(newest) {
                let summaries = Dictionary(previous.segments.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
                for file in previous.files where file.kind == .segment {
                    guard let summary = summaries[file.path] else { continue }
                    known[Self.identity(summary)] = file
                }
            }

            let copier = FileCopier(bytesPerSecond: bytesPerSecond)
            var files: [BackupManifest.File] = []
            var copiedFiles = 0
            var copiedBytes = 0
            var reusedFiles = 0
            func store(_ source: String, as relativePath: String, kind: BackupManifest.File.Kind) throws(BackupError) {
                // Unknown content: copy into a temporary object while hashing, then file it under its hash.
                let incoming = objectsDirectory + "/incoming-" + id
                let copied = try copier.copy(source, to: incoming)
                let object = objectPath(copied.sha256)
                if FileManager.default.fileExists(atPath: object) {
                    unlink(incoming)
                    reusedFiles += 1
                } else {
                    try? FileManager.default.createDirectory(
                        atPath: (object as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    guard rename(incoming, object) == 0 else {
                        throw .io(operation: "rename", path: object, errno: errno)
                    }
                    try FileCopier.syncDirectory(containing: object)
                    copiedFiles += 1
                    copiedBytes += copied.size
                }
                files.append(.init(path: relativePath, kind: kind, size: copied.size, sha256: copied.sha256))
            }
            for summary in snapshot.segments {
                if let file = known[Self.identity(summary)],
                    FileManager.default.fileExists(atPath: objectPath(file.sha256))
                {
                    files.append(file)
                    reusedFiles += 1
                    continue
                }
                try store(snapshot.stagingDirectory + "/" + summary.path, as: summary.path, kind: .segment)
            }
            for database in snapshot.databases {
                try store(snapshot.stagingDirectory + "/" + database, as: database, kind: .database)
            }
            if let configFile = snapshot.configFile {
                try store(configFile, as: (configFile as NSString).lastPathComponent, kind: .config)
            }

            let manifest = BackupManifest(
                id: id, createdAt: ISO8601DateFormatter().string(from: now), files: files, segments: snapshot.segments,
                copiedFiles: copiedFiles, copiedBytes: copiedBytes, reusedFiles: reusedFiles,
                seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            try writeManifest(manifest, into: partial)
            // The rename is the commit point: before it there is no backup ID, after it a whole one.
            guard rename(partial, backupsDirectory + "/" + id) == 0 else {
                throw .io(operation: "rename", path: partial, errno: errno)
            }
            try FileCopier.syncDirectory(containing: backupsDirectory + "/" + id)
            return manifest
        }
    }

    static func identity(_ summary: SegmentSummary) -> String {
        "\(summary.path)|\(summary.byteCount)|\(summary.recordCount)|\(summary.minTime)|\(summary.maxTime)"
    }

    /// `YYYYMMDDTHHMMSSZ` of `now`, with `-2`, `-3`… when taken twice in one second.
    private func newID(_ now: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let base = formatter.string(from: now)
        let existing = Set((try? FileManager.default.contentsOfDirectory(atPath: backupsDirectory)) ?? [])
        var id = base
        var suffix = 2
        while existing.contains(id) || existing.contains(".partial-" + id) {
            id = "\(base)-\(suffix)"
            suffix += 1
        }
        return id
    }

    /// What a crash mid-backup leaves: `.partial-` folders and temporary objects. Called holding the lock.
    func removeLeftovers() {
        let fileManager = FileManager.default
        for name in (try? fileManager.contentsOfDirectory(atPath: backupsDirectory)) ?? [] where name.hasPrefix(".") {
            try? fileManager.removeItem(atPath: backupsDirectory + "/" + name)
        }
        for name in (try? fileManager.contentsOfDirectory(atPath: objectsDirectory)) ?? []
        where name.hasPrefix("incoming-") {
            try? fileManager.removeItem(atPath: objectsDirectory + "/" + name)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
