import ArgumentParser
import Foundation
import Logging
import LogqServer

#if canImport(Glibc)
import CMalloc
#endif

@main
struct Logqd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logqd",
        abstract: "The logq server: takes logs over TCP, stores them in segments, answers queries over HTTP."
    )

    @Option(
        name: .long, help: "A YAML configuration file (see docs/configuration.md). Without it, the embedded defaults.")
    var config: String?

    @Option(name: .long, help: "The data directory (default ./data).")
    var data: String?

    @Option(name: .customLong("http-addr"), help: "HTTP API address, HOST:PORT (default 127.0.0.1:9900).")
    var httpAddress: String?

    @Option(name: .customLong("tcp-addr"), help: "TCP lines address, HOST:PORT (default 127.0.0.1:5170).")
    var tcpAddress: String?

    @Option(name: .customLong("ready-file"), help: "Write the bound ports here as JSON once listening.")
    var readyFile: String?

    @Option(
        name: .customLong("log-level"),
        help: "trace, debug, info, notice, warning, error or critical (over log.level; default info).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "logfmt, json or text (over log.format; default logfmt).")
    var logFormat: String?

    @Option(
        name: .customLong("syslog-addr"),
        help: "Syslog listener, TCP and UDP (HOST:PORT, or off; default 127.0.0.1:5514).")
    var syslogAddress: String?

    @Option(
        name: .customLong("beats-addr"),
        help: "Beats (Lumberjack v2) listener (HOST:PORT, or off; default 127.0.0.1:5044).")
    var beatsAddress: String?

    @Flag(name: .customLong("check-config"), help: "Validate the configuration and exit.")
    var checkConfig = false

    mutating func run() async throws {
        limitMallocArenas()
        var configuration = ServerConfiguration()
        if let config { configuration = try ServerConfiguration.load(file: config) }
        // The environment over the file, the command line over both.
        let problems = try configuration.applyEnvironment(ProcessInfo.processInfo.environment)
        guard problems.isEmpty else {
            throw ValidationError("invalid environment:\n" + problems.map { "  - " + $0 }.joined(separator: "\n"))
        }
        if let data { configuration.dataDirectory = data }
        if let httpAddress {
            guard let address = ListenAddress(parsing: httpAddress) else {
                throw ValidationError("--http-addr must be HOST:PORT, got '\(httpAddress)'")
            }
            configuration.httpAddress = address
        }
        if let tcpAddress {
            guard let address = ListenAddress(parsing: tcpAddress) else {
                throw ValidationError("--tcp-addr must be HOST:PORT, got '\(tcpAddress)'")
            }
            configuration.tcpAddress = address
        }
        if let syslogAddress {
            if syslogAddress == "off" {
                configuration.syslogAddress = nil
                configuration.syslogUDPAddress = nil
            } else {
                guard let address = ListenAddress(parsing: syslogAddress) else {
                    throw ValidationError("--syslog-addr must be HOST:PORT or off, got '\(syslogAddress)'")
                }
                configuration.syslogAddress = address
                configuration.syslogUDPAddress = address
            }
        }
        if let beatsAddress {
            if beatsAddress == "off" {
                configuration.beatsAddress = nil
            } else {
                guard let address = ListenAddress(parsing: beatsAddress) else {
                    throw ValidationError("--beats-addr must be HOST:PORT or off, got '\(beatsAddress)'")
                }
                configuration.beatsAddress = address
            }
        }
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw ValidationError(
                    "--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            configuration.logLevel = level
        }
        if let logFormat {
            guard let format = LogFormat(rawValue: logFormat) else {
                throw ValidationError("--log-format must be logfmt, json or text")
            }
            configuration.logFormat = format
        }
        if checkConfig {
            do {
                try configuration.checkExposure()
            } catch {
                throw ValidationError("\(error)")
            }
            print("configuration is valid")
            return
        }
        let control = OwnLogControl(level: configuration.logLevel, format: configuration.logFormat)
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, control: control) }
        let logger = Logger(label: "logqd")
        try await LogqServer(
            configuration: configuration, logger: logger, readyFile: readyFile, logControl: control,
            environment: ProcessInfo.processInfo.environment
        ).run()
    }
}

/// glibc gives threads that allocate at once arenas of their own, up to eight per core, and each keeps
/// what is freed in it: records are allocated on the listeners' and the runtime's threads and freed on
/// the flush thread, so every arena grew to the memtable's size (64 MiB heaps, nearly all resident, were
/// most of logqd's memory during a long ingest). One arena per core keeps the parallelism and cut peak
/// memory by an eighth on 2 million lines, at the same CPU per line (docs/benchmarks.md). An operator's
/// own `MALLOC_ARENA_MAX` wins.
private func limitMallocArenas() {
    #if canImport(Glibc)
    guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
    _ = cmalloc_limit_arenas(Int32(max(2, ProcessInfo.processInfo.activeProcessorCount)))
    #endif
}
