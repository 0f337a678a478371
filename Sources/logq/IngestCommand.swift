import ArgumentParser
import Foundation
import Logging
import LogqIncidents
import LogqIndex
import LogqParsers
import LogqQuery

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Parse log files here and store the records: through logqd, or straight into a data directory.",
        discussion: """
            Without --parser, the pack that parses most of each file's first 1,000 lines is used \
            (`logq patterns detect`). Multi-line events (stack traces, slow-query entries) are joined as the \
            pack says. A line no pack matches is still sent, whole, with _parse_error. Records are sent in \
            batches; each is acknowledged only once durable, so a failed run can be repeated from the file. \
            With --data, the records go straight into that data directory (no logqd may have it open). \
            On a terminal, a progress line shows how far each file is.
            """
    )

    @Argument(help: "Log files.")
    var files: [String]

    @Option(help: "The pack to parse with (`logq patterns list`); detected when left out.")
    var parser: String?

    @Option(help: "The service of every record; otherwise from the line, the pack or the file's path.")
    var service: String?

    @Option(help: "The host of every record.")
    var host = ""

    @Option(help: "Records per request.")
    var batch = 5_000

    @Option(name: .long, help: "The server (default: $LOGQ_URL, else http://127.0.0.1:9900).")
    var url: String?

    @Option(name: .long, help: "Store into this data directory instead of sending to a server (logqd stopped).")
    var data: String?

    @OptionGroup var common: PatternsCommand.Common

    func run() async throws {
        let library = try common.library()
        let zone = try common.timeZone()
        let client = ServerClient(
            baseURL: url ?? ProcessInfo.processInfo.environment["LOGQ_URL"] ?? "http://127.0.0.1:9900")
        let store: LogStore?
        do {
            var logger = Logger(label: "logq-ingest")
            logger.logLevel = .warning
            let enricher = RecordEnricher()
            store = try data.map {
                try LogStore(directory: $0, options: LogStore.Options(enrich: { enricher.enrich(&$0) }), logger: logger)
            }
        } catch {
            printError("cannot open the data directory: \(error)")
            throw ExitCode(1)
        }
        defer { store?.close() }
        let progress = Progress(enabled: isatty(STDERR_FILENO) == 1)
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .map(String.init)
            if lines.last == "" { lines.removeLast() }
            let pack = try choosePack(for: lines, file: file, library: library, zone: zone)
            var parser = PackParser(pack, zone: zone)
            let defaults = RecordDefaults(
                service: service, pathService: RecordDefaults.service(fromPath: file), host: host, source: file)
            let received = Int64(Date().timeIntervalSince1970 * 1e9)
            var records: [LogRecord] = []
            if let settings = pack.pack.multiline {
                var joiner = try MultilineJoiner(settings: settings)
                for line in lines {
                    Array(line.utf8).withUnsafeBytes { bytes in
                        joiner.append(bytes) {
                            records.append(parser.record(from: $0.bytes, receivedAt: received, defaults: defaults))
                        }
                    }
                }
                joiner.flush { records.append(parser.record(from: $0.bytes, receivedAt: received, defaults: defaults)) }
            } else {
                for line in lines where !line.isEmpty {
                    records.append(parser.record(from: line, receivedAt: received, defaults: defaults))
                }
            }
            var sent = 0
            for start in stride(from: 0, to: records.count, by: max(1, batch)) {
                let slice = records[start..<min(records.count, start + max(1, batch))]
                if let store {
                    try await store.append(Array(slice))
                } else {
                    let body = slice.map { RecordJSON.encode($0) + "\n" }.joined()
                    _ = try await client.post(
                        "/api/v1/ingest", body: Data(body.utf8), contentType: "application/x-ndjson")
                }
                sent += slice.count
                progress.show(file: file, done: sent, of: records.count)
            }
            progress.finish()
            let unparsed = records.filter { $0.fields.contains { $0.name == "_parse_error" } }.count
            print(
                "\(file): \(lines.count) lines → \(records.count) events with \(pack.pack.name), "
                    + "\(unparsed) unparsed (kept whole); \(sent) stored")
        }
    }

    private func choosePack(
        for lines: [String], file: String, library: GrokPatternLibrary, zone: TimeZoneRule
    ) throws -> CompiledPack {
        if let parser { return try common.pack(parser, library: library) }
        let packs = try BuiltinPacks.all.map { try common.pack($0.name, library: library) }
        let sample = Array(lines.prefix(1_000))
        guard let best = FormatDetector.rank(sample, packs: packs, zone: zone).first, best.coveredLines > 0 else {
            throw ValidationError(
                "no pack parses the first lines of \(file); name one with --parser (`logq patterns list`)")
        }
        print(
            "\(file): detected \(best.pack) (\(String(format: "%.0f", 100 * best.coverage))% of the first \(sample.count) lines)"
        )
        return packs.first { $0.pack.name == best.pack }!
    }
}

/// One line on stderr, rewritten in place: how many of a file's records are stored. Only on a terminal.
struct Progress {
    let enabled: Bool

    func show(file: String, done: Int, of total: Int) {
        guard enabled, total > 0 else { return }
        let width = 30
        let filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let name = (file as NSString).lastPathComponent
        FileHandle.standardError.write(Data("\r\(name) [\(bar)] \(done)/\(total) events \(100 * done / total)%".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
