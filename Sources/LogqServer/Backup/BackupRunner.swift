import Foundation
import Logging
import LogqBackup
import LogqIncidents
import LogqIndex
import ServiceLifecycle

/// Takes backups of the store, one at a time, on demand (`POST /api/v1/backups`) and on the policy's
/// schedule; prunes by `keep` and verifies every backup on `verify`'s interval after each backup.
actor BackupRunner {
    struct LastResult: Codable, Sendable {
        var id: String?
        var finishedAt: String
        var ok: Bool
        var seconds: Double
        var totalBytes: Int
        var copiedBytes: Int
        var error: String?
    }

    let store: LogStore
    let policy: BackupPolicy
    let configFile: String?
    let logger: Logger
    let metrics: ServerMetrics?
    let repository: BackupRepository
    /// The incident records, copied into every backup.
    let incidents: IncidentDatabase?
    /// Told when backups start failing (or are missed) and when one succeeds again: the `backup-failed`
    /// signal of the incident workflow.
    let health: (@Sendable (BackupHealth) async -> Void)?
    private(set) var last: LastResult?
    private(set) var lastVerify: Date?
    private(set) var failures = 0
    private(set) var missed = 0

    init(
        store: LogStore, policy: BackupPolicy, configFile: String?, logger: Logger, metrics: ServerMetrics? = nil,
        incidents: IncidentDatabase? = nil, health: (@Sendable (BackupHealth) async -> Void)? = nil
    ) {
        self.metrics = metrics
        self.incidents = incidents
        self.health = health
        self.store = store
        self.policy = policy
        self.configFile = configFile
        self.logger = logger
        repository = BackupRepository(path: policy.directory)
    }

    /// Takes a snapshot of the store (`Snapshot.taking`) and writes the backup from it.
    func backupNow() async throws -> BackupManifest {
        let started = Date()
        do {
            let repository = repository
            let rate = policy.bytesPerSecond.map { Int($0) }
            let incidents = incidents
            let manifest = try await BackupRepository.Snapshot.taking(
                of: store, configFile: configFile,
                copyDatabases: { staging in
                    guard let incidents else { return [] }
                    // SQLite's online backup: a consistent copy while incidents keep being written.
                    try incidents.backup(to: staging + "/" + IncidentDatabase.fileName)
                    return [IncidentDatabase.fileName]
                }
            ) { snapshot in
                // Copying and hashing block a thread for seconds: not one of the cooperative pool's.
                try await Self.onThread { () throws(BackupError) -> BackupManifest in
                    try repository.create(snapshot, bytesPerSecond: rate)
                }
            }
            last = LastResult(
                id: manifest.id, finishedAt: ISO8601DateFormatter().string(from: Date()), ok: true,
                seconds: manifest.seconds, totalBytes: manifest.totalBytes, copiedBytes: manifest.copiedBytes)
            metrics?.backupLastSuccess.set(Date().timeIntervalSince1970)
            metrics?.backupLastResult.set(1.0)
            metrics?.backupLastSeconds.set(manifest.seconds)
            metrics?.backupLastBytes.set(Double(manifest.totalBytes))
            metrics?.backupLastCopiedBytes.set(Double(manifest.copiedBytes))
            logger.info(
                "backup complete",
                metadata: [
                    "id": "\(manifest.id)", "files": "\(manifest.files.count)", "bytes": "\(manifest.totalBytes)",
                    "copied_bytes": "\(manifest.copiedBytes)", "seconds": "\(String(format: "%.2f", manifest.seconds))",
                ])
            await health?(.healthy)
            return manifest
        } catch {
            failures += 1
            metrics?.backupFailures.increment()
            metrics?.backupLastResult.set(0.0)
            last = LastResult(
                id: nil, finishedAt: ISO8601DateFormatter().string(from: Date()), ok: false,
                seconds: Date().timeIntervalSince(started), totalBytes: 0, copiedBytes: 0, error: "\(error)")
            logger.error("backup failed", metadata: ["error": "\(error)"])
            await health?(.failing("the backup failed: \(error)"))
            throw error
        }
    }

    /// After a scheduled backup: prune by `keep`, and verify everything when the last verify is older
    /// than the policy's interval.
    func maintain(now: Date = Date()) async {
        let repository = repository
        let keep = Duration.seconds(policy.keepSeconds)
        do {
            let pruned = try await Self.onThread { () throws(BackupError) in try repository.prune(keep: keep, now: now)
            }
            if !pruned.removedBackups.isEmpty {
                logger.info(
                    "pruned backups",
                    metadata: ["backups": "\(pruned.removedBackups)", "freed_bytes": "\(pruned.freedBytes)"])
            }
        } catch {
            logger.error("pruning backups failed", metadata: ["error": "\(error)"])
        }
        guard let interval = policy.verify.intervalSeconds else { return }
        if let lastVerify, now.timeIntervalSince(lastVerify) < Double(interval) { return }
        do {
            let reports = try await Self.onThread { () throws(BackupError) in try repository.verifyAll() }
            lastVerify = now
            for report in reports where !report.isIntact {
                failures += 1
                metrics?.backupDamaged.increment()
                logger.error(
                    "backup verification found damage",
                    metadata: ["id": "\(report.id)", "problems": "\(report.problems.joined(separator: "; "))"])
            }
        } catch {
            logger.error("verifying backups failed", metadata: ["error": "\(error)"])
        }
    }

    func noteMissed() async {
        missed += 1
        metrics?.backupMissed.increment()
        await health?(.failing("a daily backup was missed (logqd was not running at its time)"))
    }

    struct Status: Codable, Sendable {
        var dir: String
        var failures: Int
        var missed: Int
        var lastVerify: String?
        var last: LastResult?
    }

    var status: Status {
        Status(
            dir: policy.directory, failures: failures, missed: missed,
            lastVerify: lastVerify.map { ISO8601DateFormatter().string(from: $0) }, last: last)
    }

    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws(BackupError) -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                do throws(BackupError) {
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }
}

/// Runs the daily backup at `backup.at` in its time zone. At start-up, a newest backup older than a day
/// (or none at all while data exists) counts as missed and is taken at once.
struct BackupScheduleService: Service {
    let runner: BackupRunner
    let zone: TimeZone

    func run() async throws {
        let repository = runner.repository
        let newest = repository.list().last?.createdDate
        if (newest.map { Date().timeIntervalSince($0) > 86_400 + 3_600 } ?? true),
            !runner.store.segmentSummaries().isEmpty
        {
            await runner.noteMissed()
            runner.logger.warning("the last scheduled backup was missed; taking one now")
            _ = try? await runner.backupNow()
            await runner.maintain()
        }
        while !Task.isCancelledOrShuttingDown {
            let wait = max(
                1,
                Self.nextRun(after: Date(), hour: runner.policy.hour, minute: runner.policy.minute, in: zone)
                    .timeIntervalSinceNow)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(wait)) }
            guard !Task.isCancelledOrShuttingDown else { break }
            _ = try? await runner.backupNow()
            await runner.maintain()
        }
    }

    /// The next `HH:MM` in `zone` strictly after `date` (DST gaps move to the next valid minute).
    static func nextRun(after date: Date, hour: Int, minute: Int, in zone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.nextDate(
            after: date, matching: DateComponents(hour: hour, minute: minute, second: 0),
            matchingPolicy: .nextTime) ?? date.addingTimeInterval(86_400)
    }
}

/// What the backup runner tells the incident workflow.
enum BackupHealth: Sendable {
    case healthy
    case failing(String)
}
