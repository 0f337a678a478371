import Foundation

extension BackupRepository {
    public struct PruneReport: Sendable {
        public var removedBackups: [String] = []
        public var removedObjects = 0
        public var freedBytes = 0
    }

    /// Deletes backups taken more than `keep` before `now` (the newest backup always stays), then every
    /// object no remaining backup references. A crash midway leaves unreferenced objects, which the next
    /// prune removes; it never removes an object a kept backup needs.
    public func prune(keep: Duration, now: Date = Date()) throws(BackupError) -> PruneReport {
        try withLock { () throws(BackupError) -> PruneReport in
            removeLeftovers()
            var report = PruneReport()
            let fileManager = FileManager.default
            let cutoff = now.addingTimeInterval(-Double(keep.components.seconds))
            let ids = completeIDs()
            var kept: [BackupManifest] = []
            var sawDamaged = false
            for (position, id) in ids.enumerated() {
                let manifest = try? load(id)
                let isNewest = position == ids.count - 1
                if let manifest, let created = manifest.createdDate, created >= cutoff || isNewest {
                    kept.append(manifest)
                    continue
                }
                if manifest == nil {
                    // A damaged manifest: keep the backup, and every object, for an operator to look at.
                    sawDamaged = true
                    continue
                }
                // Renamed first, so a crash never leaves a half-deleted backup that looks complete.
                let trash = backupsDirectory + "/.deleting-" + id
                guard rename(backupsDirectory + "/" + id, trash) == 0 else {
                    throw .io(operation: "rename", path: backupsDirectory + "/" + id, errno: errno)
                }
                try? fileManager.removeItem(atPath: trash)
                report.removedBackups.append(id)
            }
            guard !sawDamaged else { return report }
            let referenced = Set(kept.flatMap { $0.files.map(\.sha256) })
            for prefix in (try? fileManager.contentsOfDirectory(atPath: objectsDirectory)) ?? [] {
                let folder = objectsDirectory + "/" + prefix
                for name in (try? fileManager.contentsOfDirectory(atPath: folder)) ?? []
                where !referenced.contains(name) {
                    let size = (try? fileManager.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int) ?? nil
                    if (try? fileManager.removeItem(atPath: folder + "/" + name)) != nil {
                        report.removedObjects += 1
                        report.freedBytes += size ?? 0
                    }
                }
            }
            return report
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
