/// `logq fsck`: reads a data directory without changing it and reports every structure that does not
/// hold what its format promises — manifest, segments (checksums, decoding, invariants), WAL frames.
public enum DataDirectoryCheck {
    public struct Finding: Sendable, CustomStringConvertible {
        public enum Severity: String, Sendable { case error, warning, info }
        public let severity: Severity
        public let path: String
        public let message: String
        public var description: String { "\(severity.rawValue): \(path): \(message)" }
    }

    public struct Report: Sendable {
        public var findings: [Finding] = []
        public var segmentsChecked = 0
        public var recordsChecked = 0
        public var walFilesChecked = 0
        public var isClean: Bool { !findings.contains { $0.severity == .error } }
    }

    public static func run(directory: String) -> Report {
        var report = Report()
        func add(_ severity: Finding.Severity, _ path: String, _ message: String) {
            report.findings.append(Finding(severity: severity, path: path, message: message))
        }
        let manifestPath = directory + "/" + StoreFileNames.manifest
        guard DurableFile.exists(directory) else {
            add(.error, directory, "no such data directory")
            return report
        }
        let manifest: Manifest
        do {
            manifest = try Manifest.load(from: manifestPath)
        } catch {
            add(.error, manifestPath, "\(error)")
            return report
        }
        var listed = Set<String>()
        for summary in manifest.segments {
            listed.insert(summary.path)
            let path = directory + "/" + summary.path
            do {
                let reader = try SegmentReader(path: path)
                try reader.verifyInvariants()
                if reader.recordCount != summary.recordCount || reader.byteCount != summary.byteCount {
                    add(.error, summary.path, "size or record count differs from the manifest")
                }
                report.segmentsChecked += 1
                report.recordsChecked += reader.recordCount
            } catch {
                add(.error, summary.path, "\(error)")
            }
        }
        let root = StoreFileNames.segmentDirectory
        for day in DurableFile.list(directory + "/" + root) {
            for retentionClass in DurableFile.list(directory + "/" + root + "/" + day) {
                for name in DurableFile.list(directory + "/" + root + "/" + day + "/" + retentionClass) {
                    let relative = "\(root)/\(day)/\(retentionClass)/\(name)"
                    if !listed.contains(relative) {
                        add(
                            .warning, relative,
                            "not in the manifest: left by an interrupted flush, removed at the next start")
                    }
                }
            }
        }
        let walDirectory = directory + "/" + StoreFileNames.walDirectory
        for name in DurableFile.list(walDirectory) {
            guard let generation = WALWriter.generation(ofFileName: name) else {
                add(.warning, "wal/" + name, "not a WAL file name")
                continue
            }
            guard generation > manifest.flushedWALGeneration else { continue }
            report.walFilesChecked += 1
            do {
                let replay = try WALReader.replay(path: walDirectory + "/" + name)
                if let offset = replay.corruptionOffset {
                    add(
                        .error, "wal/" + name,
                        "frame at byte \(offset) fails its checksum; \(replay.discardedTailBytes) bytes after it are lost"
                    )
                } else if replay.discardedTailBytes > 0 {
                    add(.info, "wal/" + name, "torn tail of \(replay.discardedTailBytes) bytes (never acknowledged)")
                }
            } catch {
                add(.error, "wal/" + name, "\(error)")
            }
        }
        for name in DurableFile.list(directory + "/" + StoreFileNames.quarantineDirectory) {
            add(
                .warning, StoreFileNames.quarantineDirectory + "/" + name,
                "quarantined segment: restore it from a backup")
        }
        return report
    }
}
