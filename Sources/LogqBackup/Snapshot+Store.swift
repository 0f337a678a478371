import Foundation
import LogqIndex

extension BackupRepository.Snapshot {
    /// The staging folder a snapshot of `store` is hard-linked into, inside its data directory (the same
    /// file system, so linking copies nothing).
    static func stagingDirectory(of store: LogStore) -> String { store.directory + "/backup-staging" }

    /// Flushes the memtable (so the WAL tail is in segments), hard-links every segment into the staging
    /// folder — a point-in-time copy that ingest, merges and retention cannot change — lets
    /// `copyDatabases` write consistent copies of the data directory's databases there (returning their
    /// paths), and runs `body` with it; the staging folder is removed afterwards, whatever `body` did.
    public static func taking<T>(
        of store: LogStore, configFile: String? = nil,
        copyDatabases: (_ staging: String) throws -> [String] = { _ in [] }, _ body: (Self) async throws -> T
    ) async throws -> T {
        try await store.flush()
        let staging = stagingDirectory(of: store)
        try? FileManager.default.removeItem(atPath: staging)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let segments = try store.linkSegments(into: staging)
        // A store with no segment yet has no staging folder, and its databases still need one.
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let databases = try copyDatabases(staging)
        return try await body(
            Self(stagingDirectory: staging, segments: segments, configFile: configFile, databases: databases))
    }
}
