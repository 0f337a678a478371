import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import LogqIncidents
import LogqIndex
import LogqIngest
import LogqParsers
import LogqQuery
import ServiceLifecycle
import Synchronization

/// Assembles the store, the listeners and the HTTP API, and runs them until SIGTERM or SIGINT.
public struct LogqServer {
    public let configuration: ServerConfiguration
    public let logger: Logger
    /// Written once every listener is bound: `{"http_port":…,"tcp_port":…}` (tests use port 0).
    public let readyFile: String?
    /// The level, format and self-ingest of logqd's own logs (logqd's main sets up the handler).
    public let logControl: OwnLogControl?
    /// Read again on SIGHUP, with the configuration file.
    public let environment: [String: String]

    public init(
        configuration: ServerConfiguration, logger: Logger, readyFile: String? = nil, logControl: OwnLogControl? = nil,
        environment: [String: String] = [:]
    ) {
        self.configuration = configuration
        self.logger = logger
        self.readyFile = readyFile
        self.logControl = logControl
        self.environment = environment
    }

    public func run() async throws {
        try configuration.checkExposure()
        let credentials: TLSCredentials?
        do {
            credentials = try configuration.tls.map { settings throws(TLSFileError) in
                try TLSCredentials(settings: settings)
            }
        } catch {
            throw ServerStartError("\(error)")
        }
        let tlsListeners = configuration.tls?.listeners ?? []
        let tcpTLS = try credentials?.makeTCPContext()
        let enricher = RecordEnricher()
        let metrics = ServerMetrics()
        LogStore.blockCacheBytes = configuration.blockCacheMegabytes << 20
        let store = try LogStore(
            directory: configuration.dataDirectory,
            options: configuration.storeOptions(enricher: enricher, observer: metrics.storeObserver), logger: logger)
        let incidentDatabase: IncidentDatabase
        do {
            incidentDatabase = try IncidentDatabase(
                path: configuration.dataDirectory + "/" + IncidentDatabase.fileName)
        } catch {
            throw ServerStartError(
                "the incident database \(configuration.dataDirectory)/incidents.sqlite cannot be opened (\(error)); "
                    + "check its permissions, or restore it from a backup")
        }
        let desk = IncidentDesk(policy: configuration.incidents, database: incidentDatabase)
        let notifier = Notifier(policy: configuration.notifications, desk: desk)
        var listeners: Set<ReadinessReporter.Listener> = [.http, .tcp]
        if configuration.syslogAddress != nil { listeners.insert(.syslogTCP) }
        if configuration.syslogUDPAddress != nil { listeners.insert(.syslogUDP) }
        if configuration.beatsAddress != nil { listeners.insert(.beats) }
        let ready = ReadinessReporter(readyFile: readyFile, logger: logger, expected: listeners)

        let counters = ParseCounters()
        let listenerCounters = [
            "tcp": ListenerCounters(name: "tcp"), "syslog_tcp": ListenerCounters(name: "syslog_tcp"),
            "syslog_udp": ListenerCounters(name: "syslog_udp"), "beats": ListenerCounters(name: "beats"),
            "http": ListenerCounters(name: "http"), "bulk": ListenerCounters(name: "bulk"),
        ]
        let fileCounters = configuration.fileInputs.map { ListenerCounters(name: "file:" + $0.name) }
        let limits = ConnectionLimits(
            maxConnections: configuration.maxConnections, idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds))
        )
        let router = Router()
        let tokens = CurrentTokens(configuration.apiTokens)
        router.add(middleware: AuthMiddleware(tokens: tokens, metrics: metrics))
        router.add(middleware: QueryMetricsMiddleware(metrics: metrics))
        router.get("/healthz") { _, _ in "ok\n" }
        let dataDirectory = configuration.dataDirectory
        router.get("/readyz") { _, _ -> Response in
            // Ready: the WAL is replayed (the store is open before any listener), every listener is bound,
            // and the data directory takes writes.
            let writable = FileManager.default.isWritableFile(atPath: dataDirectory)
            guard ready.isReady, writable else {
                let reason = writable ? "listeners are still starting" : "the data directory is not writable"
                throw APIError(status: .serviceUnavailable, message: "not ready: \(reason)")
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
        }
        let tails = LiveTails()
        SearchAPI(store: store, parseCounters: counters, listenerCounters: listenerCounters, tails: tails).register(
            on: router)
        IngestAPI(store: store, counters: listenerCounters["http"]!).register(on: router)
        metrics.register(
            on: router,
            sources: .init(
                store: store, desk: desk, notifier: notifier, parseCounters: counters,
                listeners: listenerCounters.values.sorted { $0.name < $1.name } + fileCounters, tails: tails))
        let retention = RetentionEnforcer(
            store: store, policy: configuration.retention, logger: logger, metrics: metrics)
        let backupSignal = BackupSignal(desk: desk)
        let backups = configuration.backup.map {
            BackupRunner(
                store: store, policy: $0, configFile: configuration.configFile, logger: logger, metrics: metrics,
                incidents: incidentDatabase, health: { await backupSignal.report($0) })
        }
        MaintenanceAPI(backups: backups, retention: retention).register(on: router)
        let operations: @Sendable () async -> [String] = {
            var lines = [String]()
            if let backups {
                let status = await backups.status
                let last = status.last.map {
                    "last backup \($0.id ?? "-") at \($0.finishedAt): \($0.error ?? "ok")"
                }
                lines.append(last ?? "no backup taken yet")
                lines.append(
                    "backup failures \(status.failures), missed \(status.missed), last verify \(status.lastVerify ?? "never")"
                )
            }
            let classes = retention.report()["classes"] as? [[String: Any]] ?? []
            for entry in classes {
                lines.append(
                    "retention class \(entry["class"] as? String ?? "?"): \(entry["segments"] as? Int ?? 0) segments, "
                        + "\(entry["records"] as? Int ?? 0) records")
            }
            return lines
        }
        let mailer = ReportMailer(
            policy: configuration.notifications, desk: desk, store: store, operations: operations)
        ReportAPI(desk: desk, store: store, mailer: mailer).register(on: router)
        ElasticsearchAPI(
            store: store, counters: listenerCounters["bulk"]!, maxBodyBytes: configuration.maxBulkBodyBytes
        ).register(on: router)
        IncidentAPI(desk: desk).register(on: router)
        let httpServer: HTTPServerBuilder =
            if let credentials, tlsListeners.contains(.http) {
                try .tls(.http1(), tlsConfiguration: credentials.httpConfiguration())
            } else {
                .http1()
            }
        let http = Application(
            router: router,
            server: httpServer,
            configuration: .init(
                address: .hostname(configuration.httpAddress.host, port: configuration.httpAddress.port),
                serverName: "logqd"),
            onServerRunning: { channel in ready.bound(.http, port: channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let zone = TimeZoneRule(identifier: configuration.timeZone) ?? .utc
        // Built once: the TCP pack and every file input compile against the same library.
        let library = try configuration.patternLibrary()
        let tcpPack = try configuration.compileTCPParser(library: library)
        let tcp = TCPLineListener(
            host: configuration.tcpAddress.host, port: configuration.tcpAddress.port, store: store,
            makeRecordMaker: {
                guard let tcpPack else { return LineRecordMaker(decoder: LineDecoder(source: "tcp")) }
                return LineRecordMaker(pack: tcpPack, zone: zone, defaults: RecordDefaults(source: "tcp"))
            },
            counters: counters, listenerCounters: listenerCounters["tcp"], limits: limits,
            tls: tlsListeners.contains(.tcp) ? tcpTLS : nil, logger: logger, onBound: { ready.bound(.tcp, port: $0) })

        // A service group stops its services one at a time, last first: the listeners and file inputs stop
        // taking data, live tails end (so the HTTP server need not wait for them), the HTTP server finishes
        // its requests; then the schedulers, the incident desk drains what waits for it, and the store
        // commits and flushes last, so everything acknowledged is in it.
        var services: [any Service] = [StoreService(store: store)]
        if configuration.selfIngestLogs, let logControl {
            let sink = OwnLogSink()
            logControl.sink.withLock { $0 = sink }
            services.append(OwnLogService(sink: sink, store: store))
        }
        services += [
            IncidentService(store: store, desk: desk, notifier: notifier, logger: logger),
            RetentionService(enforcer: retention),
            ReportScheduleService(mailer: mailer, logger: logger),
            ReloadService(
                configuration: configuration, environment: environment, tokens: tokens, credentials: credentials,
                logControl: logControl, metrics: metrics, logger: logger),
        ]
        if let backups, let policy = configuration.backup {
            let zone = TimeZone(identifier: policy.timeZone ?? configuration.timeZone) ?? TimeZone(identifier: "UTC")!
            services.append(BackupScheduleService(runner: backups, zone: zone))
        }
        services += [http, tails, tcp] as [any Service]
        let syslogPack = try CompiledPack(pack: BuiltinPacks.named("syslog")!, library: GrokPatternLibrary())
        let syslogDefaults = RecordDefaults(service: configuration.syslogService, source: "syslog")
        let makeSyslogRecords: @Sendable () -> LineRecordMaker = {
            LineRecordMaker(pack: syslogPack, zone: zone, defaults: syslogDefaults)
        }
        if let address = configuration.syslogAddress {
            services.append(
                TCPLineListener(
                    host: address.host, port: address.port, store: store, makeRecordMaker: makeSyslogRecords,
                    makeFramer: { SyslogFramer() }, name: "syslog over TCP", counters: counters,
                    listenerCounters: listenerCounters["syslog_tcp"], limits: limits,
                    tls: tlsListeners.contains(.syslog) ? tcpTLS : nil, logger: logger,
                    onBound: { ready.bound(.syslogTCP, port: $0) }))
        }
        if let address = configuration.syslogUDPAddress {
            services.append(
                UDPSyslogListener(
                    host: address.host, port: address.port, store: store, makeRecordMaker: makeSyslogRecords,
                    counters: counters, listenerCounters: listenerCounters["syslog_udp"], logger: logger,
                    onBound: { ready.bound(.syslogUDP, port: $0) }))
        }
        if let address = configuration.beatsAddress {
            services.append(
                BeatsListener(
                    host: address.host, port: address.port, store: store, counters: counters,
                    listenerCounters: listenerCounters["beats"], limits: limits,
                    tls: tlsListeners.contains(.beats) ? tcpTLS : nil, logger: logger,
                    onBound: { ready.bound(.beats, port: $0) }))
        }
        for (input, counters) in zip(configuration.fileInputs, fileCounters) {
            services.append(
                FileTailer(
                    input: try input.fileInput(library: library), store: store,
                    dataDirectory: configuration.dataDirectory, counters: counters, logger: logger,
                    storedOffset: { id, after in Self.storedOffset(store: store, fileID: id, after: after) }))
        }

        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// Keeps the store open while the server runs; on shutdown commits what is pending and flushes.
struct StoreService: Service {
    let store: LogStore

    func run() async throws {
        try? await gracefulShutdown()
        store.close()
    }
}

/// Announces readiness once the HTTP and TCP listeners are both bound.
extension LogqServer {
    /// The highest `log.offset` stored for a tailed file past a checkpointed one: the records of a batch
    /// made durable just before a crash whose checkpoint was not written.
    static func storedOffset(store: LogStore, fileID: String, after: Int64) -> Int64? {
        guard let query = try? Query.parse("log.file.id:\"\(fileID)\" log.offset:>\(after)"),
            let records = try? QueryExecutor(snapshot: store.snapshot()).search(query, limit: 10_000_000)
        else { return nil }
        return records.compactMap { record -> Int64? in
            guard case .int(let offset)? = record.fields.first(where: { $0.name == "log.offset" })?.value else {
                return nil
            }
            return offset
        }.max()
    }
}

final class ReadinessReporter: Sendable {
    enum Listener: String, CaseIterable {
        case http, tcp, beats
        case syslogTCP = "syslog_tcp"
        case syslogUDP = "syslog_udp"
    }
    private let ports = Mutex<[String: Int]>([:])
    let readyFile: String?

    /// Every expected listener is bound (`GET /readyz`).
    var isReady: Bool { ports.withLock { $0.count == expected.count } }
    let logger: Logger
    let expected: Set<Listener>

    init(readyFile: String?, logger: Logger, expected: Set<Listener>) {
        self.readyFile = readyFile
        self.logger = logger
        self.expected = expected
    }

    /// Once every expected listener is bound, writes `{"http_port":…,"tcp_port":…,"syslog_tcp_port":…}`.
    func bound(_ listener: Listener, port: Int) {
        let all = ports.withLock { ports -> [String: Int]? in
            ports[listener.rawValue] = port
            return ports.count == expected.count ? ports : nil
        }
        guard let all else { return }
        let json =
            "{" + all.sorted { $0.key < $1.key }.map { "\"\($0.key)_port\":\($0.value)" }.joined(separator: ",") + "}\n"
        logger.info(
            "logqd ready",
            metadata: Logger.Metadata(uniqueKeysWithValues: all.map { ("\($0.key)_port", "\($0.value)") }))
        if let readyFile {
            let temporary = readyFile + ".tmp"
            try? json.write(toFile: temporary, atomically: false, encoding: .utf8)
            rename(temporary, readyFile)
        }
    }
}
