import Foundation
import Logging
import LogqBackup
import LogqCorpus
import LogqIndex
import LogqParsers

/// Backups of a large store: a full backup, an incremental one with nothing new, and one after a new
/// day of data; `cp -r` of the same segments is the yardstick for the full one (a plain copy, no hashing,
/// no manifest). The store is built directly (not over TCP): this measures backups, not ingest.
struct BackupFigures {
    struct Run {
        var seconds: Double
        var totalBytes: Int
        var copiedBytes: Int
        var files: Int
    }

    var lines: Int
    var dayLines: Int
    var storeBytes: Int
    var buildSeconds: Double
    var full: Run
    var unchanged: Run
    var nextDay: Run
    var verifySeconds: Double
    var restoreSeconds: Double
    var copySeconds: Double

    static func measure(lines: Int, seed: UInt64, work: String) async throws -> BackupFigures {
        let directory = work + "/backup-bench-store"
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let store = try LogStore(directory: directory, logger: logger)
        defer { store.close() }
        // `lines` events over one day, then a tenth as many over the next day.
        let perSecond = max(1, lines / 86_400)
        let dayLines = max(1, lines / 10)
        let buildStarted = DispatchTime.now().uptimeNanoseconds
        try await load(store, count: lines, generator: CorpusGenerator(seed: seed, eventsPerSecond: perSecond))
        try await settle(store)
        let buildSeconds = Double(DispatchTime.now().uptimeNanoseconds - buildStarted) / 1e9
        let storeBytes = store.segmentSummaries().reduce(0) { $0 + $1.byteCount }

        let repository = BackupRepository(path: work + "/backup-bench-repository")
        let full = try await backup(store, into: repository)
        let unchanged = try await backup(store, into: repository)
        let nextDayStart = CorpusGenerator.defaultStart + 2 * 86_400 * 1_000_000_000
        try await load(
            store, count: dayLines,
            generator: CorpusGenerator(seed: seed + 1, start: nextDayStart, eventsPerSecond: perSecond))
        try await settle(store)
        let nextDay = try await backup(store, into: repository)

        let id = repository.list().last!.id
        let verifyStarted = DispatchTime.now().uptimeNanoseconds
        let report = try repository.verify(id)
        guard report.isIntact else { throw BenchError("the benchmark's backup failed verify: \(report.problems)") }
        let verifySeconds = Double(DispatchTime.now().uptimeNanoseconds - verifyStarted) / 1e9
        let restoreStarted = DispatchTime.now().uptimeNanoseconds
        _ = try repository.restore(id, to: work + "/backup-bench-restored")
        let restoreSeconds = Double(DispatchTime.now().uptimeNanoseconds - restoreStarted) / 1e9

        let copyStarted = DispatchTime.now().uptimeNanoseconds
        _ = try runProcess("/bin/cp", ["-r", directory + "/segments", work + "/backup-bench-cp"])
        _ = try runProcess("/bin/sync", [])
        let copySeconds = Double(DispatchTime.now().uptimeNanoseconds - copyStarted) / 1e9
        return BackupFigures(
            lines: lines, dayLines: dayLines, storeBytes: storeBytes, buildSeconds: buildSeconds, full: full,
            unchanged: unchanged, nextDay: nextDay, verifySeconds: verifySeconds, restoreSeconds: restoreSeconds,
            copySeconds: copySeconds)
    }

    /// Generated events as JSON lines, decoded as the TCP listener decodes them, appended in batches.
    private static func load(_ store: LogStore, count: Int, generator: CorpusGenerator) async throws {
        var generator = generator
        let decoder = LineDecoder(source: "bench")
        var tickets: [CommitTicket] = []
        var made = 0
        while made < count {
            var batch: [LogRecord] = []
            batch.reserveCapacity(5000)
            while batch.count < 5000 && made < count {
                var line = generator.next().jsonLine()
                let record = line.withUTF8 { bytes in
                    decoder.decode(UnsafeRawBufferPointer(bytes), receivedAt: 0, originalLength: bytes.count)
                }
                batch.append(record)
                made += 1
            }
            tickets.append(store.enqueue(batch))
            if tickets.count >= 8 { try await tickets.removeFirst().wait() }
        }
        for ticket in tickets { try await ticket.wait() }
        try await store.flush()
    }

    /// Waits until background merges stop changing the segment list.
    private static func settle(_ store: LogStore) async throws {
        var previous: [String] = []
        var stableRounds = 0
        while stableRounds < 5 {
            try await Task.sleep(for: .milliseconds(200))
            let current = store.segmentSummaries().map(\.path)
            stableRounds = current == previous ? stableRounds + 1 : 0
            previous = current
        }
    }

    private static func backup(_ store: LogStore, into repository: BackupRepository) async throws -> Run {
        let started = DispatchTime.now().uptimeNanoseconds
        let manifest = try await BackupRepository.Snapshot.taking(of: store) { try repository.create($0) }
        return Run(
            seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, totalBytes: manifest.totalBytes,
            copiedBytes: manifest.copiedBytes, files: manifest.files.count)
    }

    func print() {
        func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
        func line(_ name: String, _ run: Run) {
            Swift.print(
                "  \(name): \(String(format: "%.2f", run.seconds)) s, \(run.files) files, \(megabytes(run.totalBytes)) "
                    + "in the backup, \(megabytes(run.copiedBytes)) copied "
                    + "(\(String(format: "%.0f", Double(run.copiedBytes) / max(run.seconds, 0.001) / 1e6)) MB/s)")
        }
        Swift.print(
            "\nbackups of a \(lines)-line store (\(megabytes(storeBytes)) of segments, built in "
                + "\(String(format: "%.0f", buildSeconds)) s):")
        line("full", full)
        line("incremental, nothing new", unchanged)
        line("incremental after a new day (\(dayLines) lines)", nextDay)
        Swift.print(
            "  verify (SHA-256 of every file, every segment opened and checked): \(String(format: "%.2f", verifySeconds)) s; "
                + "restore: \(String(format: "%.2f", restoreSeconds)) s")
        Swift.print(
            "  cp -r of the same segments (no hashing, no manifest): \(String(format: "%.2f", copySeconds)) s; "
                + "full backup ÷ cp = \(String(format: "%.2f", full.seconds / max(copySeconds, 0.001)))")
    }
}
