import LogqIncidents
import LogqIndex
import Prometheus
import Synchronization

/// The Prometheus metrics of `GET /metrics` (text exposition format). Counters are bumped where things
/// happen; running totals kept elsewhere (listeners, parsers, rules, notifications) and the store's
/// gauges are read at each scrape. Names: docs/api.md, "Metrics".
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    let retentionRuns: Counter
    let retentionDeletedSegments: Counter
    let retentionDeletedRecords: Counter
    let retentionDeletedBytes: Counter

    let backupLastSuccess: Gauge
    let backupLastResult: Gauge
    let backupLastSeconds: Gauge
    let backupLastBytes: Gauge
    let backupLastCopiedBytes: Gauge
    let backupFailures: Counter
    let backupMissed: Counter
    let backupDamaged: Counter
    let unauthorized: Counter
    let forbidden: Counter
    let reloadsSucceeded: Counter
    let reloadsFailed: Counter

    let walFsync: DurationHistogram
    let flushes: Counter
    let flushDuration: DurationHistogram
    let flushedRecords: Counter
    let merges: Counter
    let mergeDuration: DurationHistogram
    let mergedRecords: Counter
    let storeErrors: [StoreFailureStage: Counter]

    /// Query latency by kind (search, count, stats), measured until the last byte of the answer is written.
    let queryDuration: [QueryKind: DurationHistogram]
    let tailSubscribers: Gauge

    // Read at each scrape (ServerMetrics+Scrape.swift).
    let segments: Gauge
    let segmentRecords: Gauge
    let segmentBytes: Gauge
    let memtableRecords: Gauge
    let quarantinedSegments: Gauge
    let openIncidents: [Severity: Gauge]
    let firingSignals: Gauge
    let lateRecords: Gauge
    let ruleEvaluations = MirroredCounter()
    let notificationsSent = MirroredCounter()
    let notificationsFailed = MirroredCounter()
    let parsed = MirroredCounter()
    let parseFailures = MirroredCounter()
    let parseLimitExceeded = MirroredCounter()
    /// Per listener or file input: the counters already registered, by listener name and counter.
    let listenerSeries = Mutex<[String: [String: MirroredCounter]]>([:])
    /// Per UTC day and retention class: segments and bytes; series of days retention removed are dropped.
    let daySeries = Mutex<[String: (segments: Gauge, bytes: Gauge)]>([:])

    enum QueryKind: String, CaseIterable, Sendable {
        case search, count, stats
    }

    init() {
        let registry = registry
        // logq_SUBSYSTEM_NAME_UNIT, as Prometheus's naming guide asks.
        func counter(
            _ subsystem: String, _ name: String, _ help: String, _ labels: [(String, String)] = []
        )
            -> Counter
        {
            registry.makeCounter(
                descriptor: .init(
                    namespace: "logq", subsystem: subsystem, metricName: name, unitName: "total", helpText: help),
                labels: labels)
        }
        func gauge(
            _ subsystem: String, _ name: String, _ unit: String, _ help: String, _ labels: [(String, String)] = []
        ) -> Gauge {
            registry.makeGauge(
                descriptor: .init(
                    namespace: "logq", subsystem: subsystem, metricName: name, unitName: unit, helpText: help),
                labels: labels)
        }
        func histogram(
            _ subsystem: String, _ name: String, _ help: String, _ buckets: [Duration],
            _ labels: [(String, String)] = []
        ) -> DurationHistogram {
            registry.makeDurationHistogram(
                descriptor: .init(
                    namespace: "logq", subsystem: subsystem, metricName: name, unitName: "seconds", helpText: help),
                labels: labels, buckets: buckets)
        }
        let fast: [Duration] = [
            .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1),
        ]
        let slow: [Duration] = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        retentionRuns = counter("retention", "runs", "Times the retention policy was enforced.")
        retentionDeletedSegments = counter("retention", "deleted_segments", "Segment files retention deleted.")
        retentionDeletedRecords = counter("retention", "deleted_records", "Records in the segments retention deleted.")
        retentionDeletedBytes = counter("retention", "deleted_bytes", "Bytes of the segments retention deleted.")
        backupLastSuccess = gauge(
            "backup", "last_success_timestamp", "seconds", "When the last successful backup finished (Unix time).")
        backupLastResult = gauge("backup", "last_result", "", "1 when the last backup succeeded, 0 when it failed.")
        backupLastSeconds = gauge("backup", "last_duration", "seconds", "How long the last backup took.")
        backupLastBytes = gauge("backup", "last_size", "bytes", "Bytes the last backup holds (its files' total).")
        backupLastCopiedBytes = gauge("backup", "last_copied", "bytes", "Bytes the last backup copied (new content).")
        backupFailures = counter("backup", "failures", "Backups that failed.")
        backupMissed = counter("backup", "missed", "Scheduled backups found missed at start-up.")
        backupDamaged = counter("backup", "verify_damaged", "Backups a verify found damaged.")
        unauthorized = counter("http", "unauthorized", "Requests refused for a missing or unknown token (401).")
        forbidden = counter("http", "forbidden", "Requests refused for a token without the route's scope (403).")
        reloadsSucceeded = counter("config", "reloads", "SIGHUP reloads, by result.", [("result", "ok")])
        reloadsFailed = counter("config", "reloads", "SIGHUP reloads, by result.", [("result", "failed")])

        walFsync = histogram("wal", "fsync_duration", "WAL fsyncs (one per group commit).", fast)
        flushes = counter("store", "flushes", "Memtables written as segments.")
        flushDuration = histogram("store", "flush_duration", "Memtable flushes.", slow)
        flushedRecords = counter("store", "flushed_records", "Records flushed from memtables into segments.")
        merges = counter("store", "merges", "Merges of small segments into one.")
        mergeDuration = histogram("store", "merge_duration", "Segment merges.", slow)
        mergedRecords = counter("store", "merged_records", "Records rewritten by merges.")
        var storeErrors: [StoreFailureStage: Counter] = [:]
        for stage in StoreFailureStage.allCases {
            storeErrors[stage] = counter(
                "store", "errors", "File operations of the store that failed (full disk, I/O error), by stage.",
                [("stage", stage.rawValue)])
        }
        self.storeErrors = storeErrors
        var queries: [QueryKind: DurationHistogram] = [:]
        for kind in QueryKind.allCases {
            queries[kind] = histogram(
                "query", "duration", "Queries, by kind, until the answer is written.", fast + [.seconds(5)],
                [("kind", kind.rawValue)])
        }
        queryDuration = queries
        tailSubscribers = gauge("query", "tail_subscribers", "", "Open live tails (GET /api/v1/tail).")

        segments = gauge("store", "segments", "", "Live segment files.")
        segmentRecords = gauge("store", "segment_records", "", "Records in segments.")
        segmentBytes = gauge("store", "segment", "bytes", "Bytes of segment files.")
        memtableRecords = gauge("store", "memtable_records", "", "Acknowledged records not yet in a segment.")
        quarantinedSegments = gauge("store", "quarantined_segments", "", "Damaged segments set aside in quarantine/.")
        var open: [Severity: Gauge] = [:]
        for severity in Severity.allCases {
            open[severity] = gauge(
                "incidents", "open", "", "Incidents not yet resolved, by severity.", [("severity", severity.rawValue)])
        }
        openIncidents = open
        firingSignals = gauge("incidents", "firing_signals", "", "Signals firing now (rules and Alertmanager).")
        lateRecords = gauge(
            "incidents", "late_records", "", "Records that arrived after their window was evaluated (counted later).")
        ruleEvaluations.register(counter("incidents", "rule_evaluations", "Alert rule evaluations (rule × window)."))
        notificationsSent.register(counter("incidents", "notifications_sent", "Notifications a channel accepted."))
        notificationsFailed.register(
            counter("incidents", "notifications_failed", "Notification attempts that failed (each retry counts)."))
        parsed.register(counter("ingest", "parsed_lines", "Lines a pattern pack parsed."))
        parseFailures.register(
            counter("ingest", "parse_failures", "Lines no pattern of their pack matched (stored with _parse_error)."))
        parseLimitExceeded.register(
            counter("ingest", "parse_limit_exceeded", "Lines whose pattern hit PCRE2's match limit (stored as text)."))
    }

    /// What the store reports to the metrics.
    var storeObserver: StoreObserver {
        StoreObserver(
            walSynced: { [walFsync] in walFsync.record($0) },
            flushed: { [flushes, flushDuration, flushedRecords] duration, records in
                flushes.increment()
                flushDuration.record(duration)
                flushedRecords.increment(by: Int64(records))
            },
            merged: { [merges, mergeDuration, mergedRecords] duration, records in
                merges.increment()
                mergeDuration.record(duration)
                mergedRecords.increment(by: Int64(records))
            },
            failed: { [storeErrors] stage in storeErrors[stage]?.increment() })
    }
}

/// A Prometheus counter that follows a running total kept elsewhere, read at each scrape.
final class MirroredCounter: Sendable {
    private let state = Mutex<(counter: Counter?, last: Int)>((nil, 0))

    func register(_ counter: Counter) { state.withLock { $0.counter = counter } }

    func follow(_ total: Int) {
        let (counter, delta) = state.withLock { state -> (Counter?, Int) in
            let delta = total - state.last
            state.last = max(state.last, total)
            return (state.counter, delta)
        }
        if delta > 0 { counter?.increment(by: Int64(delta)) }
    }
}
