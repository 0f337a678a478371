import Crypto
import Foundation
import LogqIndex

/// A folder of backups (`backup.dir`), content-addressed so that a segment is stored once however many
/// backups hold it:
///
///     objects/AB/ABCDEF…      one file per distinct content, named by its SHA-256
///     backups/ID/manifest.json  one complete backup (see `BackupManifest`), with manifest.sha256 beside it
///     backups/.partial-ID/    a backup being written; renamed to backups/ID only once whole
///     .lock                   held (flock) by whoever writes: backup, prune, restore, verify
///
/// A crash mid-backup leaves a `.partial-` folder and perhaps unreferenced objects: never a backup that
/// looks complete. The next backup or prune removes both. See docs/operations.md, "Backups".
public struct BackupRepository: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    var objectsDirectory: String { path + "/objects" }
    var backupsDirectory: String { path + "/backups" }

    func objectPath(_ sha256: String) -> String {
        objectsDirectory + "/" + sha256.prefix(2) + "/" + sha256
    }

    func manifestPath(_ id: String) -> String { backupsDirectory + "/" + id + "/manifest.json" }

    // MARK: Lock

    /// Runs `body` holding the repository's lock; fails at once with `.busy` when someone else holds it.
    func withLock<T>(_ body: () throws(BackupError) -> T) throws(BackupError) -> T {
        try prepareDirectories()
        let lockPath = path + "/.lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .repositoryUnusable(
                path: path, reason: "cannot open \(lockPath): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { throw .busy(path: path) }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    private func prepareDirectories() throws(BackupError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw .repositoryUnusable(path: path, reason: "it is a file, not a folder")
        }
        for directory in [path, objectsDirectory, backupsDirectory] {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw .repositoryUnusable(path: path, reason: "cannot create \(directory)")
            }
        }
        guard access(path, W_OK) == 0 else { throw .repositoryUnusable(path: path, reason: "it is not writable") }
    }

    // MARK: Reading

    /// Complete backups, oldest first. One whose manifest cannot be read is listed by `damagedIDs`.
    public func list() -> [BackupManifest] {
        completeIDs().compactMap { try? load($0) }
    }

    func completeIDs() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: backupsDirectory)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Reads a backup's manifest and checks it against its own SHA-256.
    public func load(_ id: String) throws(BackupError) -> BackupManifest {
        let path = manifestPath(id)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .notFound(id: id, repository: self.path)
        }
        let recorded = (FileManager.default.contents(atPath: path + ".sha256")).map {
            String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard recorded == Self.hex(SHA256.hash(data: data)) else {
            throw .damaged(id: id, problems: ["manifest.json does not match manifest.json.sha256"])
        }
        do {
            return try JSONDecoder().decode(BackupManifest.self, from: data)
        } catch {
            throw .damaged(id: id, problems: ["manifest.json is not a backup manifest"])
        }
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// Writes a manifest and its checksum into `directory` (the `.partial-` folder of a backup).
    func writeManifest(_ manifest: BackupManifest, into directory: String) throws(BackupError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(manifest)) ?? Data()
        let checksum = Self.hex(SHA256.hash(data: data)) + "\n"
        for (name, bytes) in [("manifest.json", data), ("manifest.json.sha256", Data(checksum.utf8))] {
            let file = directory + "/" + name
            guard FileManager.default.createFile(atPath: file, contents: bytes) else {
                throw .io(operation: "write", path: file, errno: errno)
            }
            let descriptor = open(file, O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 {
                fsync(descriptor)
                close(descriptor)
            }
        }
        try FileCopier.syncDirectory(containing: directory + "/manifest.json")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
