import Foundation
import LogqIndex

/// What one backup holds: every file of the store at the snapshot point, each by its SHA-256, which is
/// also where its bytes live in the repository (`objects/AB/ABCD…`). See docs/operations.md, "Backups".
public struct BackupManifest: Codable, Sendable, Equatable {
    public static let formatVersion = 1

    public struct File: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable {
            /// A segment, restored under its path in the data directory.
            case segment
            /// The server's configuration file, restored beside the data (not into it).
            case config
            /// A database of the data directory (the incident records), copied with SQLite's online backup
            /// while the server runs, restored under its path.
            case database
        }
        /// Relative to the data directory for segments; the file's name for the configuration.
        public var path: String
        public var kind: Kind
        public var size: Int
        public var sha256: String
    }

    public var formatVersion = BackupManifest.formatVersion
    public var id: String
    /// When the snapshot was taken, ISO 8601 in UTC.
    public var createdAt: String
    public var files: [File]
    /// The store's own description of each segment (records, time range), as its manifest had them.
    public var segments: [SegmentSummary]
    /// How this backup was made: files copied into the repository against files an earlier backup had.
    public var copiedFiles: Int
    public var copiedBytes: Int
    public var reusedFiles: Int
    public var seconds: Double

    public var totalBytes: Int { files.reduce(0) { $0 + $1.size } }
    public var recordCount: Int { segments.reduce(0) { $0 + $1.recordCount } }

    public var createdDate: Date? { ISO8601DateFormatter().date(from: createdAt) }
}

/// Everything that can go wrong with a backup, each saying what to do about it.
public enum BackupError: Error, CustomStringConvertible, Equatable {
    case repositoryUnusable(path: String, reason: String)
    case busy(path: String)
    case notFound(id: String, repository: String)
    case damaged(id: String, problems: [String])
    case targetNotEmpty(path: String)
    case io(operation: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case .repositoryUnusable(let path, let reason):
            return "the backup folder \(path) cannot be used: \(reason). Check that it exists, is a folder, "
                + "is writable and has free space (backup.dir in the configuration)."
        case .busy(let path):
            return "another backup, prune or restore holds \(path)/.lock; wait for it to finish and retry."
        case .notFound(let id, let repository):
            return "no complete backup \(id) in \(repository); `logq backup list --dir \(repository)` shows them."
        case .damaged(let id, let problems):
            return "backup \(id) is damaged:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
                + "\nRestore from another backup (`logq backup list`)."
        case .targetNotEmpty(let path):
            return "\(path) is not empty; restore into a new or empty folder, then point logqd --data at it."
        case .io(let operation, let path, let code):
            return "\(operation) failed on \(path): \(String(cString: strerror(code))) (errno \(code)). "
                + "Check free space and permissions."
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
