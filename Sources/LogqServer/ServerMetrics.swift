import Hummingbird
import LogqIncidents
import LogqIndex
import Prometheus

/// The Prometheus metrics of `GET /metrics` (text exposition format). Counters are bumped where things
/// happen; gauges of the store are read at each scrape. Names: docs/api.md, "Metrics".
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

    private let segments: Gauge
    private let segmentRecords: Gauge
    private let segmentBytes: Gauge
    private let memtableRecords: Gauge
    private let quarantinedSegments: Gauge

    private let openIncidents: [Severity: Gauge]
    private let firingSignals: Gauge
    private let lateRecords: Gauge
    private let notificationsSent: Gauge
    private let notificationsFailed: Gauge

    init() {
        let registry = registry
        // logq_SUBSYSTEM_NAME_UNIT, as Prometheus's naming guide asks.
        func counter(_ subsystem: String, _ name: String, _ help: String) -> Counter {
            registry.makeCounter(
                descriptor: .init(
                    namespace: "logq", subsystem: subsystem, metricName: name, unitName: "total", helpText: help))
        }
        func gauge(_ subsystem: String, _ name: String, _ unit: String, _ help: String) -> Gauge {
            registry.makeGauge(
                descriptor: .init(
                    namespace: "logq", subsystem: subsystem, metricName: name, unitName: unit, helpText: help))
        }
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
        segments = gauge("store", "segments", "", "Live segment files.")
        segmentRecords = gauge("store", "segment_records", "", "Records in segments.")
        segmentBytes = gauge("store", "segment", "bytes", "Bytes of segment files.")
        memtableRecords = gauge("store", "memtable_records", "", "Acknowledged records not yet in a segment.")
        quarantinedSegments = gauge("store", "quarantined_segments", "", "Damaged segments set aside in quarantine/.")
        var open: [Severity: Gauge] = [:]
        for severity in Severity.allCases {
            open[severity] = registry.makeGauge(
                name: "logq_incidents_open", labels: [("severity", severity.rawValue)],
                help: "Incidents not yet resolved, by severity.")
        }
        openIncidents = open
        firingSignals = gauge("incidents", "firing_signals", "", "Signals firing now (rules and Alertmanager).")
        lateRecords = gauge(
            "incidents", "late_records", "", "Records that arrived after their window was evaluated (counted later).")
        notificationsSent = gauge("incidents", "notifications_sent", "", "Notification deliveries a channel accepted.")
        notificationsFailed = gauge(
            "incidents", "notifications_failed", "", "Notification attempts that failed (each retry counts).")
    }

    func register(on router: Router<BasicRequestContext>, store: LogStore, desk: IncidentDesk, notifier: Notifier) {
        router.get("/metrics") { _, _ in
            let incidents = (try? await desk.incidents(activeOnly: true)) ?? []
            for severity in Severity.allCases {
                self.openIncidents[severity]?.set(Double(incidents.filter { $0.severity == severity }.count))
            }
            self.firingSignals.set(
                Double(await desk.alertGroups.flatMap(\.signals).filter { $0.phase == .firing }.count))
            self.lateRecords.set(Double(await desk.lateRecords))
            self.notificationsSent.set(Double(await notifier.sent))
            self.notificationsFailed.set(Double(await notifier.failed))
            let statistics = store.statistics()
            self.segments.set(Double(statistics.segmentCount))
            self.segmentRecords.set(Double(statistics.segmentRecords))
            self.segmentBytes.set(Double(statistics.segmentBytes))
            self.memtableRecords.set(Double(statistics.memtableRecords))
            self.quarantinedSegments.set(Double(statistics.quarantinedSegments))
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.registry.emitToBuffer())))
        }
    }
}
