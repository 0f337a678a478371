import Foundation
import LogqIndex

extension BackupRepository {
    public struct RestoreReport: Sendable {
        public var id: String
        public var segments: Int
        public var records: Int
        public var bytes: Int
        /// Where the backed-up configuration file was written (beside the data, never over a live one).
        public var configFile: String?
        /// Databases restored into the data directory (the incident records).
        public var databases: [String] = []
    }

    /// Restores backup `id` into `directory`, which must be missing or empty; every file is checked
    /// against its SHA-256 as it is copied. Then `logqd --data DIRECTORY` serves exactly the backup.
    public func restore(_ id: String, to directory: String) throws(BackupError) -> RestoreReport {
        try withLock { () throws(BackupError) -> RestoreReport in
            let fileManager = FileManager.default
            if let existing = try? fileManager.contentsOfDirectory(atPath: directory), !existing.isEmpty {
                throw .targetNotEmpty(path: directory)
            }
            let manifest = try load(id)
            do {
                try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw .io(operation: "create", path: directory, errno: errno)
            }
            var report = RestoreReport(id: id, segments: 0, records: manifest.recordCount, bytes: 0)
            for file in manifest.files {
                let target =
                    file.kind == .config
                    ? directory + "/restored-config/" + file.path : directory + "/" + file.path
                guard !file.path.contains(".."), !file.path.hasPrefix("/") else {
                    throw .damaged(id: id, problems: ["\(file.path): a path outside the data directory"])
                }
                try? fileManager.createDirectory(
                    atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                let copied = try FileCopier().copy(objectPath(file.sha256), to: target)
                guard copied.sha256 == file.sha256, copied.size == file.size else {
                    throw .damaged(
                        id: id, problems: ["\(file.path): the object's content does not match its SHA-256"])
                }
                report.bytes += copied.size
                switch file.kind {
                case .segment: report.segments += 1
                case .config: report.configFile = target
                case .database: report.databases.append(file.path)
                }
            }
            do {
                try LogStore.writeRestoredManifest(directory: directory, segments: manifest.segments)
            } catch {
                throw .io(operation: "write the store manifest", path: directory, errno: EIO)
            }
            return report
        }
    }
}
