import Hummingbird
import LogqIncidents
import LogqIndex
import LogqIngest
import LogqParsers
import Prometheus

/// `GET /metrics`: reads what others keep (the store, the desk, the notifier, listeners, parsers, live
/// tails) into the registry, then writes it out.
extension ServerMetrics {
    struct Sources: Sendable {
        let store: LogStore
        let desk: IncidentDesk
        let notifier: Notifier
        let parseCounters: ParseCounters
        /// Every TCP listener, the HTTP ingest routes and each file input, by name.
        let listeners: [ListenerCounters]
        let tails: LiveTails
    }

    func register(on router: Router<BasicRequestContext>, sources: Sources) {
        router.get("/metrics") { _, _ in
            await self.scrape(sources)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.registry.emitToBuffer())))
        }
    }

    private func scrape(_ sources: Sources) async {
        let incidents = (try? await sources.desk.incidents(activeOnly: true)) ?? []
        for severity in Severity.allCases {
            openIncidents[severity]?.set(Double(incidents.filter { $0.severity == severity }.count))
        }
        firingSignals.set(
            Double(await sources.desk.alertGroups.flatMap(\.signals).filter { $0.phase == .firing }.count))
        lateRecords.set(Double(await sources.desk.lateRecords))
        ruleEvaluations.follow(await sources.desk.ruleEvaluations)
        notificationsSent.follow(await sources.notifier.sent)
        notificationsFailed.follow(await sources.notifier.failed)
        let parsing = sources.parseCounters.snapshot
        parsed.follow(parsing.parsed)
        parseFailures.follow(parsing.unmatched)
        parseLimitExceeded.follow(parsing.limitExceeded)
        for listener in sources.listeners { follow(listener) }
        tailSubscribers.set(Double(sources.tails.count))

        let statistics = sources.store.statistics()
        segments.set(Double(statistics.segmentCount))
        segmentRecords.set(Double(statistics.segmentRecords))
        segmentBytes.set(Double(statistics.segmentBytes))
        memtableRecords.set(Double(statistics.memtableRecords))
        quarantinedSegments.set(Double(statistics.quarantinedSegments))
        scrapeDays(sources.store.segmentSummaries())
    }

    /// `logq_ingest_*_total{listener=…}` from a listener's running totals.
    private func follow(_ listener: ListenerCounters) {
        let snapshot = listener.snapshot
        let series = listenerSeries.withLock { all -> [String: MirroredCounter] in
            if let existing = all[listener.name] { return existing }
            var made: [String: MirroredCounter] = [:]
            for (key, name, help) in Self.listenerCounterNames {
                let counter = MirroredCounter()
                counter.register(
                    registry.makeCounter(
                        descriptor: .init(
                            namespace: "logq", subsystem: "ingest", metricName: name, unitName: "total", helpText: help),
                        labels: [("listener", listener.name)]))
                made[key] = counter
            }
            all[listener.name] = made
            return made
        }
        for (key, counter) in series { counter.follow(snapshot[key] ?? 0) }
        let open = registry.makeGauge(
            descriptor: .init(
                namespace: "logq", subsystem: "ingest", metricName: "open_connections", unitName: "",
                helpText: "Connections open now, by listener."),
            labels: [("listener", listener.name)])
        open.set(Double(snapshot["openConnections"] ?? 0))
    }

    static let listenerCounterNames: [(String, String, String)] = [
        ("lines", "lines", "Lines (records) stored, by listener or file input."),
        ("bytes", "bytes", "Bytes received, by listener or file input."),
        ("truncatedLines", "truncated_lines", "Lines longer than the limit, stored truncated and marked."),
        ("protocolErrors", "protocol_errors", "Connections closed for a framing, protocol or TLS error."),
        ("acceptedConnections", "accepted_connections", "Connections accepted."),
        ("rejectedConnections", "rejected_connections", "Connections refused over limits.max_connections."),
        ("idleClosedConnections", "idle_closed_connections", "Connections closed after the idle timeout."),
    ]

    /// `logq_store_day_segments{day,class}` and `logq_store_day_bytes{day,class}`.
    private func scrapeDays(_ summaries: [SegmentSummary]) {
        var totals: [String: (day: String, retentionClass: String, segments: Int, bytes: Int)] = [:]
        for summary in summaries {
            // segments/DAY/CLASS/NNN.seg
            let parts = summary.path.split(separator: "/")
            guard parts.count >= 4 else { continue }
            let key = "\(parts[1])|\(parts[2])"
            var entry = totals[key] ?? (String(parts[1]), String(parts[2]), 0, 0)
            entry.segments += 1
            entry.bytes += summary.byteCount
            totals[key] = entry
        }
        let registry = registry
        daySeries.withLock { series in
            for (key, gauges) in series where totals[key] == nil {
                registry.unregisterGauge(gauges.segments)
                registry.unregisterGauge(gauges.bytes)
                series[key] = nil
            }
            for (key, entry) in totals {
                let gauges =
                    series[key]
                    ?? {
                        let labels = [("day", entry.day), ("class", entry.retentionClass)]
                        let made = (
                            segments: registry.makeGauge(
                                descriptor: .init(
                                    namespace: "logq", subsystem: "store", metricName: "day_segments", unitName: "",
                                    helpText: "Segment files by UTC day and retention class."),
                                labels: labels),
                            bytes: registry.makeGauge(
                                descriptor: .init(
                                    namespace: "logq", subsystem: "store", metricName: "day", unitName: "bytes",
                                    helpText: "Bytes of segment files by UTC day and retention class."),
                                labels: labels)
                        )
                        series[key] = made
                        return made
                    }()
                gauges.segments.set(Double(entry.segments))
                gauges.bytes.set(Double(entry.bytes))
            }
        }
    }
}

/// Times the query routes until the answer's last byte is written (a search streams).
struct QueryMetricsMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let kind: ServerMetrics.QueryKind? =
            switch request.uri.path {
            case "/api/v1/search": .search
            case "/api/v1/count": .count
            case "/api/v1/stats" where request.uri.formParameter("q") != nil: .stats
            default: nil
            }
        guard let kind, let histogram = metrics.queryDuration[kind] else { return try await next(request, context) }
        let started = ContinuousClock.now
        var response = try await next(request, context)
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { histogram.record(ContinuousClock.now - started) }
            try await body.write(writer)
        }
        return response
    }
}
