import Foundation
import LogqIndex

extension BackupRepository {
    /// What `verify` found for one backup.
    public struct VerifyReport: Sendable {
        public var id: String
        public var filesChecked = 0
        public var bytesChecked = 0
        public var segmentsOpened = 0
        public var problems: [String] = []
        public var isIntact: Bool { problems.isEmpty }
    }

    /// Proves a backup restorable without restoring it: the manifest against its checksum, every file's
    /// size and SHA-256 recomputed from its object, every segment opened (footer, directory and index
    /// checksums) and every block decoded and checked, and the manifest's segment list against the files.
    public func verify(_ id: String) throws(BackupError) -> VerifyReport {
        try withLock { () throws(BackupError) -> VerifyReport in try verifyHoldingLock(id) }
    }

    /// Every complete backup, oldest first.
    public func verifyAll() throws(BackupError) -> [VerifyReport] {
        try withLock { () throws(BackupError) -> [VerifyReport] in
            var reports: [VerifyReport] = []
            for id in completeIDs() { reports.append(try verifyHoldingLock(id)) }
            return reports
        }
    }

    private func verifyHoldingLock(_ id: String) throws(BackupError) -> VerifyReport {
        var report = VerifyReport(id: id)
        let manifest: BackupManifest
        do {
            manifest = try load(id)
        } catch {
            if case .damaged(_, let problems) = error {
                report.problems = problems
                return report
            }
            throw error
        }
        let files = Dictionary(manifest.files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        for summary in manifest.segments where files[summary.path]?.kind != .segment {
            report.problems.append("\(summary.path): listed as a segment but no file holds it")
        }
        let summaries = Dictionary(manifest.segments.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        for file in manifest.files {
            let object = objectPath(file.sha256)
            guard FileManager.default.fileExists(atPath: object) else {
                report.problems.append("\(file.path): its object \(file.sha256) is missing")
                continue
            }
            let actual: FileCopier.Copied
            do {
                actual = try FileCopier.hash(object)
            } catch {
                report.problems.append("\(file.path): \(error)")
                continue
            }
            report.filesChecked += 1
            report.bytesChecked += actual.size
            guard actual.size == file.size, actual.sha256 == file.sha256 else {
                report.problems.append(
                    "\(file.path): the object's content changed (SHA-256 \(actual.sha256), "
                        + "\(actual.size) bytes; the manifest says \(file.sha256), \(file.size) bytes)")
                continue
            }
            guard file.kind == .segment else { continue }
            do {
                let reader = try SegmentReader(path: object)
                try reader.verifyBlocks()
                report.segmentsOpened += 1
                if let summary = summaries[file.path], summary.recordCount != reader.recordCount {
                    report.problems.append(
                        "\(file.path): holds \(reader.recordCount) records; the manifest says \(summary.recordCount)")
                }
            } catch {
                report.problems.append("\(file.path): \(error)")
            }
        }
        return report
    }
}
