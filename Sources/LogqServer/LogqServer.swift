import Foundation
import Hummingbird
import Logging
import LogqIndex
import LogqIngest
import LogqParsers
import ServiceLifecycle
import Synchronization

/// Assembles the store, the listeners and the HTTP API, and runs them until SIGTERM or SIGINT.
public struct LogqServer {
    public let configuration: ServerConfiguration
    public let logger: Logger
    /// Written once every listener is bound: `{"http_port":…,"tcp_port":…}` (tests use port 0).
    public let readyFile: String?

    public init(configuration: ServerConfiguration, logger: Logger, readyFile: String? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.readyFile = readyFile
    }

    public func run() async throws {
        let store = try LogStore(
            directory: configuration.dataDirectory, options: configuration.storeOptions, logger: logger)
        let ready = ReadinessReporter(readyFile: readyFile, logger: logger)

        let counters = ParseCounters()
        let router = Router()
        router.get("/healthz") { _, _ in "ok\n" }
        SearchAPI(store: store, parseCounters: counters).register(on: router)
        IngestAPI(store: store).register(on: router)
        let http = Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.httpAddress.host, port: configuration.httpAddress.port),
                serverName: "logqd"),
            onServerRunning: { channel in ready.bound(.http, port: channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let zone = TimeZoneRule(identifier: configuration.timeZone) ?? .utc
        let tcpPack = try configuration.compileTCPParser()
        let tcp = TCPLineListener(
            host: configuration.tcpAddress.host, port: configuration.tcpAddress.port, store: store,
            makeRecordMaker: {
                guard let tcpPack else { return LineRecordMaker(decoder: LineDecoder(source: "tcp")) }
                return LineRecordMaker(pack: tcpPack, zone: zone, defaults: RecordDefaults(source: "tcp"))
            },
            counters: counters, logger: logger, onBound: { ready.bound(.tcp, port: $0) })

        // Services stop in reverse order: listeners first, the store last, so what they took is committed.
        let group = ServiceGroup(
            configuration: .init(
                services: [StoreService(store: store), tcp, http],
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
final class ReadinessReporter: Sendable {
    enum Listener: String { case http, tcp }
    private let ports = Mutex<[String: Int]>([:])
    let readyFile: String?
    let logger: Logger

    init(readyFile: String?, logger: Logger) {
        self.readyFile = readyFile
        self.logger = logger
    }

    func bound(_ listener: Listener, port: Int) {
        let all = ports.withLock { ports -> [String: Int]? in
            ports[listener.rawValue] = port
            return ports.count == 2 ? ports : nil
        }
        guard let all else { return }
        let json = "{\"http_port\":\(all["http"]!),\"tcp_port\":\(all["tcp"]!)}\n"
        logger.info("logqd ready", metadata: ["http_port": "\(all["http"]!)", "tcp_port": "\(all["tcp"]!)"])
        if let readyFile {
            let temporary = readyFile + ".tmp"
            try? json.write(toFile: temporary, atomically: false, encoding: .utf8)
            rename(temporary, readyFile)
        }
    }
}
