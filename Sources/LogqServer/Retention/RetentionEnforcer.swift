import Foundation
import Logging
import LogqIndex
import ServiceLifecycle
import Synchronization

/// Applies the retention policy to the store: at start-up and every `check_interval`. Deletes whole
/// segment files through `LogStore.removeSegments` (a query still reading one keeps its mapping), logs
/// each deletion (file, class, reason, records: never content) and counts them.
final class RetentionEnforcer: Sendable {
    struct Totals: Codable, Sendable {
        var runs = 0
        var deletedSegments = 0
        var deletedRecords = 0
        var deletedBytes = 0
        var lastRun: String?
        var lastError: String?
    }

    let store: LogStore
    let policy: RetentionPolicy
    let logger: Logger
    let metrics: ServerMetrics?
    private let totals = Mutex(Totals())

    init(store: LogStore, policy: RetentionPolicy, logger: Logger, metrics: ServerMetrics? = nil) {
        self.store = store
        self.policy = policy
        self.logger = logger
        self.metrics = metrics
    }

    var snapshot: Totals { totals.withLock { $0 } }

    /// One pass at `now` (nanoseconds since the epoch). Returns what it deleted.
    @discardableResult
    func enforce(now: Int64 = Int64(Date().timeIntervalSince1970 * 1e9)) -> [RetentionPolicy.Expiry] {
        let expiries = policy.expiries(of: store.segmentSummaries(), now: now)
        var removed: [SegmentSummary] = []
        var failure: String?
        if !expiries.isEmpty {
            do {
                removed = try store.removeSegments(Set(expiries.map(\.segment.path)))
            } catch {
                failure = "\(error)"
                logger.error("retention could not delete expired segments", metadata: ["error": "\(error)"])
            }
        }
        let removedPaths = Set(removed.map(\.path))
        for expiry in expiries where removedPaths.contains(expiry.segment.path) {
            logger.info(
                "retention deleted a segment",
                metadata: [
                    "file": "\(expiry.segment.path)", "class": "\(expiry.segment.retentionClass)",
                    "reason": "\(expiry.reason.rawValue)", "records": "\(expiry.segment.recordCount)",
                    "bytes": "\(expiry.segment.byteCount)",
                ])
        }
        metrics?.retentionRuns.increment()
        metrics?.retentionDeletedSegments.increment(by: Int64(removed.count))
        metrics?.retentionDeletedRecords.increment(by: Int64(removed.reduce(0) { $0 + $1.recordCount }))
        metrics?.retentionDeletedBytes.increment(by: Int64(removed.reduce(0) { $0 + $1.byteCount }))
        totals.withLock {
            $0.runs += 1
            $0.deletedSegments += removed.count
            $0.deletedRecords += removed.reduce(0) { $0 + $1.recordCount }
            $0.deletedBytes += removed.reduce(0) { $0 + $1.byteCount }
            $0.lastRun = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(now) / 1e9))
            $0.lastError = failure
        }
        return expiries.filter { removedPaths.contains($0.segment.path) }
    }

    /// `GET /api/v1/retention`: each class with its rule, keep, what it holds and when its oldest segment
    /// expires; the disk cap and the totals.
    func report(now: Int64 = Int64(Date().timeIntervalSince1970 * 1e9)) -> [String: Any] {
        let segments = store.segmentSummaries()
        var names = Set(segments.map(\.retentionClass))
        names.insert(RetentionClassName.default)
        for rule in policy.rules { names.insert(rule.className) }
        var classes: [[String: Any]] = []
        for name in names.sorted() {
            let held = segments.filter { $0.retentionClass == name }
            let keep = policy.keepSeconds(forClass: name)
            var entry: [String: Any] = [
                "class": name, "keep_seconds": keep, "segments": held.count,
                "records": held.reduce(0) { $0 + $1.recordCount }, "bytes": held.reduce(0) { $0 + $1.byteCount },
            ]
            if let rule = policy.rule(forClass: name) {
                entry["match"] = rule.match
            } else {
                entry["match"] = name == RetentionClassName.default ? "(default)" : "(no rule any more: default keep)"
            }
            if let oldest = held.min(by: { $0.maxTime < $1.maxTime }) {
                let expires = oldest.maxTime + keep * 1_000_000_000
                entry["oldest_day"] = oldest.day
                entry["next_expiry"] = ISO8601DateFormatter().string(
                    from: Date(timeIntervalSince1970: Double(max(expires, now)) / 1e9))
            }
            classes.append(entry)
        }
        var object: [String: Any] = [
            "classes": classes, "bytes": segments.reduce(0) { $0 + $1.byteCount },
            "check_interval_seconds": policy.checkIntervalSeconds,
        ]
        if let maxDisk = policy.maxDiskBytes { object["max_disk_bytes"] = maxDisk }
        let totals = snapshot
        object["deleted"] = [
            "runs": totals.runs, "segments": totals.deletedSegments, "records": totals.deletedRecords,
            "bytes": totals.deletedBytes, "last_run": totals.lastRun ?? "", "last_error": totals.lastError ?? "",
        ]
        return object
    }
}

/// Runs the enforcer at start-up and then on its interval until shutdown.
struct RetentionService: Service {
    let enforcer: RetentionEnforcer

    func run() async throws {
        enforcer.enforce()
        while !Task.isCancelledOrShuttingDown {
            let interval = enforcer.policy.checkIntervalSeconds
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
            guard !Task.isCancelledOrShuttingDown else { break }
            enforcer.enforce()
        }
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}
