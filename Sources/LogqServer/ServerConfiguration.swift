import Foundation
import Logging
import LogqIncidents
import LogqIndex
import LogqParsers
import Yams

/// Everything `logqd` can be told, with the embedded defaults of `make run`. See docs/configuration.md.
public struct ServerConfiguration: Sendable, Equatable {
    public var dataDirectory = "./data"
    public var httpAddress = ListenAddress(host: "127.0.0.1", port: 9900)
    public var tcpAddress = ListenAddress(host: "127.0.0.1", port: 5170)
    public var flushRecordCount = 50_000
    public var flushAgeSeconds = 30
    public var compression = CompressionCodec.zstd
    public var zstdLevel: Int32 = 3
    /// The cache of decompressed block streams shared by every query (`store.block_cache_mb`).
    public var blockCacheMegabytes = LogStore.defaultBlockCacheBytes >> 20
    /// Syslog (RFC 5424 and 3164) over TCP, octet-counted or LF-framed, and over UDP; nil turns one off.
    public var syslogAddress: ListenAddress? = ListenAddress(host: "127.0.0.1", port: 5514)
    public var syslogUDPAddress: ListenAddress? = ListenAddress(host: "127.0.0.1", port: 5514)
    /// Per TCP listener (lines, syslog, Beats): connections beyond this are closed at once.
    public var maxConnections = 1024
    /// A TCP connection that sends nothing for this long is closed.
    public var idleTimeoutSeconds = 300
    /// A `_bulk` body over this many bytes is refused with 413, as Elasticsearch's `http.max_content_length`
    /// (same default): the response lists every document, so the body's size bounds the request's memory.
    public var maxBulkBodyBytes = 100 << 20
    /// The Beats protocol (Filebeat's `output.logstash`); nil turns it off.
    public var beatsAddress: ListenAddress? = ListenAddress(host: "127.0.0.1", port: 5044)
    /// A fixed service for syslog records; nil takes each message's app-name.
    public var syslogService: String?
    /// `inputs:` entries of `type: file` (see docs/configuration.md), checked but not yet opened.
    public var fileInputs: [FileInputConfiguration] = []
    /// The pack that parses TCP lines; nil keeps the default (JSON objects decoded, other lines as text).
    public var tcpParser: String?
    /// Grok pattern files or directories loaded after the built-ins (they may override them).
    public var patternPaths: [String] = []
    /// The zone of timestamps that carry none (logback, syslog, MySQL).
    public var timeZone = "UTC"
    /// `retention:` (the defaults keep everything 90 days, with no disk cap).
    public var retention = RetentionPolicy()
    /// `backup:`; nil when no backup folder is configured.
    public var backup: BackupPolicy?
    /// `incidents:`: alert rules, correlation, topology (the shipped policy unless configured).
    public var incidents = IncidentPolicy.defaults
    /// `incidents.notifications:`: channels and the repeat policy.
    public var notifications = NotificationPolicy()
    /// `auth.tokens` and `LOGQ_API_TOKENS`: when any is set, every route but the probes needs one.
    public var apiTokens = APITokens()
    /// `auth.allow_unauthenticated`: listen beyond loopback with no token (a proxy in front does auth).
    public var allowUnauthenticated = false
    /// `log.level`; the command line's `--log-level` wins over it.
    public var logLevel: Logger.Level = .info
    /// `log.format`: logfmt (the default), json or text.
    public var logFormat = LogFormat.logfmt
    /// `log.self_ingest`: also store logqd's own log lines as records under `service:logqd`.
    public var selfIngestLogs = false
    /// `tls:`; nil serves plain TCP and HTTP.
    public var tls: TLSSettings?
    /// The file this configuration was read from: backups keep a copy.
    public var configFile: String?

    public init() {}

    func storeOptions(enricher: RecordEnricher, observer: StoreObserver? = nil) -> LogStore.Options {
        let retention = retention
        var classify: (@Sendable (LogRecord) -> String)?
        if !retention.rules.isEmpty {
            classify = { @Sendable record in retention.className(for: record) }
        }
        return LogStore.Options(
            flushRecordCount: flushRecordCount,
            flushAge: .seconds(flushAgeSeconds),
            segment: SegmentWriter.Options(codec: compression, zstdLevel: zstdLevel),
            retentionClass: classify,
            enrich: { enricher.enrich(&$0) },
            observer: observer
        )
    }
}

public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `HOST:PORT`; port 0 asks the kernel for a free one (tests do this).
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        host = String(text[..<colon])
        self.port = port
        guard !host.isEmpty else { return nil }
    }

    public var description: String { "\(host):\(port)" }
}

/// A configuration file that cannot be used: every problem found, each with its key.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let file: String
    public let problems: [String]
    public var description: String {
        "invalid configuration in \(file):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

extension ServerConfiguration {
    /// Reads a YAML file over the defaults. Unknown keys are errors, so a typo is not silently ignored.
    public static func load(file: String) throws -> ServerConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: file, problems: ["cannot read the file: \(error.localizedDescription)"])
        }
        let node: Any?
        do {
            node = try Yams.load(yaml: text)
        } catch {
            throw ConfigurationError(file: file, problems: ["not valid YAML: \(error)"])
        }
        var configuration = ServerConfiguration()
        configuration.configFile = file
        var problems: [String] = []
        guard let root = node as? [String: Any] else {
            if node == nil { return configuration }
            throw ConfigurationError(file: file, problems: ["the top level must be a mapping of keys"])
        }
        for (key, value) in root {
            switch key {
            case "data":
                if let text = value as? String {
                    configuration.dataDirectory = text
                } else {
                    problems.append("data: must be a path")
                }
            case "http", "tcp":
                let allowed: Set<String> = key == "http" ? ["address"] : ["address", "parser"]
                guard let section = value as? [String: Any], let text = section["address"] as? String,
                    let address = ListenAddress(parsing: text), Set(section.keys).isSubset(of: allowed)
                else {
                    problems.append(
                        "\(key): must be a mapping with address: HOST:PORT"
                            + (key == "tcp" ? " and optionally parser: PACK" : ""))
                    continue
                }
                if key == "http" { configuration.httpAddress = address } else { configuration.tcpAddress = address }
                if key == "tcp", let parser = section["parser"] {
                    if let name = parser as? String, BuiltinPacks.named(name) != nil {
                        configuration.tcpParser = name
                    } else {
                        problems.append(
                            "tcp.parser: must name a pack: " + BuiltinPacks.all.map(\.name).joined(separator: ", "))
                    }
                }
            case "inputs":
                guard let list = value as? [[String: Any]] else {
                    problems.append("inputs: must be a list of mappings")
                    continue
                }
                for (index, entry) in list.enumerated() {
                    if let input = FileInputConfiguration(entry, index: index, problems: &problems) {
                        configuration.fileInputs.append(input)
                    }
                }
            case "limits":
                guard let section = value as? [String: Any] else {
                    problems.append("limits: must be a mapping")
                    continue
                }
                for (limit, setting) in section {
                    guard let number = setting as? Int, number > 0 else {
                        problems.append("limits.\(limit): must be a positive integer")
                        continue
                    }
                    switch limit {
                    case "max_connections": configuration.maxConnections = number
                    case "idle_timeout_seconds": configuration.idleTimeoutSeconds = number
                    case "max_bulk_body_bytes": configuration.maxBulkBodyBytes = number
                    default:
                        problems.append(
                            "limits.\(limit): unknown key (known: max_connections, idle_timeout_seconds, "
                                + "max_bulk_body_bytes)")
                    }
                }
            case "beats":
                // YAML 1.1 reads a bare `off` as false.
                guard let section = value as? [String: Any], section.count == 1,
                    let text = section["address"] as? String ?? ((section["address"] as? Bool) == false ? "off" : nil)
                else {
                    problems.append("beats: must be a mapping with one key, address: HOST:PORT or off")
                    continue
                }
                if text == "off" {
                    configuration.beatsAddress = nil
                } else if let address = ListenAddress(parsing: text) {
                    configuration.beatsAddress = address
                } else {
                    problems.append("beats.address: must be HOST:PORT or off")
                }
            case "syslog":
                guard let section = value as? [String: Any] else {
                    problems.append("syslog: must be a mapping")
                    continue
                }
                configuration.apply(syslog: section, problems: &problems)
            case "parsers":
                guard let section = value as? [String: Any] else {
                    problems.append("parsers: must be a mapping")
                    continue
                }
                configuration.apply(parsers: section, problems: &problems)
            case "store":
                guard let section = value as? [String: Any] else {
                    problems.append("store: must be a mapping")
                    continue
                }
                configuration.apply(store: section, problems: &problems)
            case "auth":
                guard let section = value as? [String: Any] else {
                    problems.append("auth: must be a mapping with tokens: and allow_unauthenticated:")
                    continue
                }
                configuration.apply(auth: section, problems: &problems)
            case "incidents":
                guard let section = value as? [String: Any] else {
                    problems.append("incidents: must be a mapping (rules:, topology:, …)")
                    continue
                }
                do {
                    configuration.incidents = try IncidentPolicy.parse(section: section)
                    configuration.notifications = try NotificationPolicy.parse(section: section["notifications"])
                } catch {
                    problems.append(contentsOf: error.problems)
                }
            case "log":
                guard let section = value as? [String: Any] else {
                    problems.append("log: must be a mapping with level:, format:, self_ingest:")
                    continue
                }
                configuration.apply(log: section, problems: &problems)
            case "tls":
                guard let section = value as? [String: Any] else {
                    problems.append("tls: must be a mapping with certificate:, key:, client_ca:, listeners:")
                    continue
                }
                configuration.apply(tls: section, problems: &problems)
            case "retention", "backup":
                guard let section = value as? [String: Any] else {
                    problems.append("\(key): must be a mapping")
                    continue
                }
                if key == "retention" {
                    configuration.apply(retention: section, problems: &problems)
                } else {
                    configuration.apply(backup: section, problems: &problems)
                }
            default:
                problems.append(
                    "\(key): unknown key (known: data, http, tcp, syslog, beats, limits, inputs, store, parsers, "
                        + "retention, backup, incidents, auth, tls, log)")
            }
        }
        if problems.isEmpty {
            // A pattern file PCRE2 rejects is reported now, with its file and line, not at the first line.
            do {
                let library = try configuration.patternLibrary()
                _ = try configuration.compileTCPParser(library: library)
            } catch {
                problems.append("parsers.patterns: \(error)")
            }
        }
        guard problems.isEmpty else { throw ConfigurationError(file: file, problems: problems.sorted()) }
        return configuration
    }

    private mutating func apply(syslog section: [String: Any], problems: inout [String]) {
        for (key, value) in section {
            switch key {
            case "address", "udp_address":
                let address: ListenAddress?
                if (value as? String) == "off" || (value as? Bool) == false {
                    address = nil
                } else if let text = value as? String, let parsed = ListenAddress(parsing: text) {
                    address = parsed
                } else {
                    problems.append("syslog.\(key): must be HOST:PORT or off")
                    continue
                }
                if key == "address" { syslogAddress = address } else { syslogUDPAddress = address }
            case "service":
                if let name = value as? String, !name.isEmpty {
                    syslogService = name
                } else {
                    problems.append("syslog.service: must be a name")
                }
            default:
                problems.append("syslog.\(key): unknown key (known: address, udp_address, service)")
            }
        }
    }

    private mutating func apply(parsers section: [String: Any], problems: inout [String]) {
        for (key, value) in section {
            switch key {
            case "patterns":
                if let paths = value as? [String] {
                    patternPaths = paths
                } else if let path = value as? String {
                    patternPaths = [path]
                } else {
                    problems.append("parsers.patterns: must be a path or a list of paths")
                }
            case "time_zone":
                if let zone = value as? String, TimeZoneRule(identifier: zone) != nil {
                    timeZone = zone
                } else {
                    problems.append("parsers.time_zone: must be UTC, an offset such as +08:00, or an IANA zone name")
                }
            default:
                problems.append("parsers.\(key): unknown key (known: patterns, time_zone)")
            }
        }
    }

    /// The built-in pattern files and the operator's. Every definition of the operator's files must
    /// compile, used or not: a mistake is found at start-up, not when a pack first needs it.
    func patternLibrary() throws(GrokError) -> GrokPatternLibrary {
        let library = try BuiltinPacks.library(extraPaths: patternPaths)
        let compiler = GrokCompiler(library: library)
        for name in library.names where library[name]?.location.file.hasPrefix("builtin:") == false {
            _ = try compiler.compile("%{\(name)}")
        }
        return library
    }

    /// The compiled pack for TCP lines, nil for the default decoding.
    func compileTCPParser(library: GrokPatternLibrary) throws(GrokError) -> CompiledPack? {
        guard let name = tcpParser, let pack = BuiltinPacks.named(name) else { return nil }
        return try CompiledPack(pack: pack, library: library)
    }

    private mutating func apply(store section: [String: Any], problems: inout [String]) {
        for (key, value) in section {
            switch key {
            case "flush_records":
                if let number = value as? Int, number > 0 {
                    flushRecordCount = number
                } else {
                    problems.append("store.flush_records: must be a positive integer")
                }
            case "flush_age_seconds":
                if let number = value as? Int, number > 0 {
                    flushAgeSeconds = number
                } else {
                    problems.append("store.flush_age_seconds: must be a positive integer")
                }
            case "compression":
                switch value as? String {
                case "zstd": compression = .zstd
                case "lz4": compression = .lz4
                default: problems.append("store.compression: must be zstd or lz4")
                }
            case "zstd_level":
                if let number = value as? Int, (1...19).contains(number) {
                    zstdLevel = Int32(number)
                } else {
                    problems.append("store.zstd_level: must be an integer from 1 to 19")
                }
            case "block_cache_mb":
                if let number = value as? Int, (0...1_048_576).contains(number) {
                    blockCacheMegabytes = number
                } else {
                    problems.append("store.block_cache_mb: must be an integer from 0 to 1048576 (MiB)")
                }
            default:
                problems.append(
                    "store.\(key): unknown key (known: flush_records, flush_age_seconds, compression, zstd_level, "
                        + "block_cache_mb)")
            }
        }
    }
}

/// Something the server needs at start-up is unusable; the message says what to do.
public struct ServerStartError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }
}

extension ServerConfiguration {
    mutating func apply(auth section: [String: Any], problems: inout [String]) {
        for (key, value) in section {
            switch key {
            case "tokens":
                guard let list = value as? [[String: Any]] else {
                    problems.append("auth.tokens: a list of {token: SECRET, scopes: [ingest, query, admin]}")
                    continue
                }
                for (index, entry) in list.enumerated() {
                    let names = entry["scopes"] as? [String] ?? []
                    let scopes = names.compactMap(TokenScope.init(rawValue:))
                    // Named by position: a token is never echoed, not even in an error.
                    guard let token = entry["token"] as? String, !token.isEmpty, !scopes.isEmpty,
                        scopes.count == names.count
                    else {
                        problems.append("auth.tokens[\(index)]: needs token: and scopes: among ingest, query, admin")
                        continue
                    }
                    apiTokens.add(token: token, scopes: Set(scopes))
                }
            case "allow_unauthenticated":
                guard let flag = value as? Bool else {
                    problems.append("auth.allow_unauthenticated: true or false")
                    continue
                }
                allowUnauthenticated = flag
            default:
                problems.append("auth.\(key): unknown key (known: tokens, allow_unauthenticated)")
            }
        }
    }

    /// Deploy-time values and secrets from the environment, over the file: `LOGQ_DATA`, `LOGQ_HTTP_ADDR`,
    /// `LOGQ_TCP_ADDR` and `LOGQ_API_TOKENS` (added to the file's tokens).
    public mutating func applyEnvironment(_ environment: [String: String]) throws -> [String] {
        var problems: [String] = []
        if let data = environment["LOGQ_DATA"], !data.isEmpty { dataDirectory = data }
        for (name, path) in [("LOGQ_HTTP_ADDR", \ServerConfiguration.httpAddress), ("LOGQ_TCP_ADDR", \.tcpAddress)] {
            guard let text = environment[name], !text.isEmpty else { continue }
            guard let address = ListenAddress(parsing: text) else {
                problems.append("\(name): must be HOST:PORT, got '\(text)'")
                continue
            }
            self[keyPath: path] = address
        }
        if let text = environment["LOGQ_API_TOKENS"], !text.isEmpty {
            do {
                let parsed = try APITokens.parse(environment: text)
                for entry in parsed.entries { apiTokens.entries.append(entry) }
            } catch {
                problems.append(error.message)
            }
        }
        return problems
    }

    /// Refuses to listen beyond loopback without auth, unless told a proxy in front does it: HTTP needs API
    /// tokens; the TCP listeners need TLS with client certificates (`tls.client_ca`); syslog over UDP has
    /// no auth at all, so beyond loopback it always needs `auth.allow_unauthenticated`.
    public func checkExposure() throws {
        guard !allowUnauthenticated else { return }
        let listeners: [(ListenAddress?, String, Bool)] = [
            (httpAddress, "HTTP", !apiTokens.isEmpty),
            (tcpAddress, "TCP lines", tls?.authenticatesSenders(on: .tcp) == true),
            (syslogAddress, "syslog over TCP", tls?.authenticatesSenders(on: .syslog) == true),
            (syslogUDPAddress, "syslog over UDP", false),
            (beatsAddress, "Beats", tls?.authenticatesSenders(on: .beats) == true),
        ]
        let exposed = listeners.compactMap { address, name, authenticated -> String? in
            guard let address, !authenticated, !Self.isLoopback(address.host) else { return nil }
            return "\(name) on \(address)"
        }
        guard exposed.isEmpty else {
            throw ServerStartError(
                "logqd would listen without auth on " + exposed.joined(separator: ", ") + ": HTTP needs "
                    + "auth.tokens or LOGQ_API_TOKENS, the TCP listeners need tls with client_ca (client "
                    + "certificates), syslog over UDP has no auth (bind it to 127.0.0.1 or turn it off); or set "
                    + "auth.allow_unauthenticated: true when something in front authenticates")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        ["::1", "localhost"].contains(host) || host.hasPrefix("127.")
    }
}

extension ServerConfiguration {
    mutating func apply(log section: [String: Any], problems: inout [String]) {
        for (key, value) in section {
            switch key {
            case "level":
                if let name = value as? String, let level = Logger.Level(rawValue: name) {
                    logLevel = level
                } else {
                    problems.append(
                        "log.level: one of " + Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
                }
            case "format":
                if let name = value as? String, let format = LogFormat(rawValue: name) {
                    logFormat = format
                } else {
                    problems.append("log.format: logfmt, json or text")
                }
            case "self_ingest":
                if let flag = value as? Bool {
                    selfIngestLogs = flag
                } else {
                    problems.append("log.self_ingest: true or false")
                }
            default:
                problems.append("log.\(key): unknown key (known: level, format, self_ingest)")
            }
        }
    }

    /// The sections SIGHUP cannot apply in place, named when a reload finds them changed. Listener
    /// addresses and the data directory are left out: the command line may override them, and they too
    /// need a restart (docs/configuration.md, "Reloading").
    func sectionsNeedingRestart(after fresh: ServerConfiguration) -> [String] {
        var changed: [String] = []
        if storeOptionsKey != fresh.storeOptionsKey { changed.append("store") }
        if fileInputs != fresh.fileInputs { changed.append("inputs") }
        if patternPaths != fresh.patternPaths || timeZone != fresh.timeZone || tcpParser != fresh.tcpParser {
            changed.append("parsers")
        }
        if maxConnections != fresh.maxConnections || idleTimeoutSeconds != fresh.idleTimeoutSeconds
            || maxBulkBodyBytes != fresh.maxBulkBodyBytes
        {
            changed.append("limits")
        }
        if retention != fresh.retention { changed.append("retention") }
        if backup != fresh.backup { changed.append("backup") }
        if incidents != fresh.incidents || notifications != fresh.notifications { changed.append("incidents") }
        if logFormat != fresh.logFormat || selfIngestLogs != fresh.selfIngestLogs { changed.append("log.format") }
        if tls?.clientCAFile != fresh.tls?.clientCAFile || tls?.listeners != fresh.tls?.listeners
            || tls?.certificateFile != fresh.tls?.certificateFile || tls?.keyFile != fresh.tls?.keyFile
        {
            changed.append("tls")
        }
        return changed
    }

    private var storeOptionsKey: [Int] {
        [flushRecordCount, flushAgeSeconds, compression == .zstd ? 0 : 1, Int(zstdLevel), blockCacheMegabytes]
    }
}
