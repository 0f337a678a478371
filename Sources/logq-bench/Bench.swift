import ArgumentParser
import Foundation
import LogqCorpus
import LogqIndex

#if canImport(Glibc)
import Glibc
#endif

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `make bench`: ingest a generated corpus over TCP into a fresh release logqd, then time queries, and
/// run the peers (zstd for size, ripgrep for a scan of the same raw file) in the same run, so the
/// figures are ratios that hold on a noisy shared machine.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logq-bench", abstract: "Ingest and query benchmark of logqd against zstd and ripgrep.")

    @Option(help: "Directory holding the logqd binary.")
    var bin = ".build/release"

    @Option(help: "How many generated events to ingest.")
    var lines = 500_000

    @Option(help: "Concurrent TCP senders.")
    var connections = 2

    @Option(help: "Corpus seed.")
    var seed: UInt64 = 7

    @Option(help: "Runs per query; the median is reported.")
    var runs = 15

    @Option(help: "Work directory (deleted afterwards unless --keep).")
    var work = "/tmp/logq-bench"

    @Flag(help: "Keep the work directory.")
    var keep = false

    @Option(help: "Events of the corpus that the store-alone figure loads (parsed records are held in memory).")
    var storeLines = 500_000

    @Option(help: "Rounds of the one-segment figure, of which the best is printed (more: steadier A/B comparisons).")
    var segmentRounds = 3

    @Flag(help: "Measure the store alone and stop (for profiling).")
    var storeOnly = false

    @Flag(help: "Measure parsing alone and stop.")
    var parsersOnly = false

    @Flag(help: "Measure ingest over TCP alone and stop (for profiling logqd).")
    var ingestOnly = false

    @Option(help: "Megabytes of Spring Boot log for the file-tailing figure (0 skips it).")
    var tailMegabytes = 128

    @Flag(help: "Measure file tailing alone and stop.")
    var tailOnly = false

    @Option(help: "Lines in the store whose backups are measured (0 skips them).")
    var backupLines = 10_000_000

    @Flag(help: "Measure backups alone and stop.")
    var backupOnly = false

    @Option(help: "Generated lines per pack for the parsing figures.")
    var parserLines = 500_000

    @Option(help: "A Python with tantivy and chdb installed, to run bench/peers.py (make bench sets it up).")
    var peersPython: String?

    @Option(help: "The peers script.")
    var peersScript = "bench/peers.py"

    @Option(help: "The Loghub-2k samples (public test data, read in place).")
    var loghub = "../shared/loghub"

    @Flag(help: "Measure error-template grouping alone and stop.")
    var fingerprintsOnly = false

    /// No generated record holds it (the corpus's words come from fixed lists, ids and numbers).
    static let absentWord = "zqxjvbwkpl"

    mutating func run() async throws {
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(atPath: work) } }

        print(
            "logq-bench: \(lines) events, \(connections) TCP connections, \(ProcessInfo.processInfo.activeProcessorCount) cores"
        )
        if tailOnly {
            try await measureTailing(megabytes: tailMegabytes, jsonLinesPerSecond: 0)
            return
        }
        if fingerprintsOnly {
            try FingerprintFigures.measure(loghub: loghub, python: peersPython, script: "bench/drain3_peer.py")?.print()
            return
        }
        if backupOnly {
            try await BackupFigures.measure(lines: backupLines, seed: seed, work: work).print()
            return
        }
        let parsing =
            storeOnly || ingestOnly ? nil : try ParserFigures.measure(work: work, seed: seed, linesPerPack: parserLines)
        parsing?.print()
        if !storeOnly && !ingestOnly {
            try FingerprintFigures.measure(loghub: loghub, python: peersPython, script: "bench/drain3_peer.py")?.print()
        }
        if parsersOnly { return }

        let corpus = generateCorpus()
        let rawPath = work + "/corpus.jsonl"
        try writeRawFile(corpus.bytes, to: rawPath)
        print(
            "corpus: \(corpus.bytes.count / 1_000_000) MB of JSON lines, \(String(format: "%.0f", Double(corpus.bytes.count) / Double(lines))) bytes/line"
        )

        let store =
            ingestOnly
            ? nil
            : try await StoreFigures.measure(
                corpus: corpus.bytes[..<prefixLength(of: corpus.bytes, lines: storeLines)], work: work,
                segmentRounds: segmentRounds)
        if storeOnly {
            store?.print()
            return
        }

        let server = try BenchServer.start(bin: bin, work: work)
        defer { server.stop() }

        // Ingest.
        let cpuBefore = server.cpuSeconds()
        let started = Date()
        try sendConcurrently(corpus.bytes, connections: connections, port: server.tcpPort)
        let sentAt = Date().timeIntervalSince(started)
        try await server.waitForCount(lines)
        let ingestSeconds = Date().timeIntervalSince(started)
        let cpuAfter = server.cpuSeconds()
        let serverCPUSeconds = cpuBefore.flatMap { before in cpuAfter.map { $0 - before } }
        try await server.post("/api/v1/flush")
        let stats = try await server.statistics()

        // Peers in the same run: zstd -3 of the raw file (size), and ripgrep scanning it (speed).
        let zstdBytes = try zstdSize(rawPath)
        let ingest = IngestFigures(
            lines: lines, rawBytes: corpus.bytes.count, seconds: ingestSeconds, sendSeconds: sentAt,
            segmentBytes: stats.segmentBytes, indexBytes: stats.indexBytes, zstdBytes: zstdBytes)
        ingest.print()
        if let serverCPUSeconds {
            Swift.print(
                "  logqd used \(String(format: "%.2f", serverCPUSeconds)) CPU-seconds: "
                    + "\(String(format: "%.1f", serverCPUSeconds * 1e6 / Double(lines))) µs per line "
                    + "(steadier than the rate on a shared machine)")
        }
        if let peak = server.peakResidentMegabytes() {
            Swift.print("logqd peak resident memory after ingest and flush: \(String(format: "%.0f", peak)) MB")
        }
        store?.print()
        if ingestOnly { return }
        let settling = server.waitUntilIdle()
        Swift.print(
            "waited \(String(format: "%.0f", settling)) s for logqd's background merges to finish before the queries")

        let queries: [(query: String, rg: [String])] = [
            ("level:error service:order", ["-c", #""level":"ERROR","service":"order""#]),
            ("timeout", ["-c", "-i", #"\btimeout\b"#]),
            ("service:nginx status:504", ["-c", #""service":"nginx".*"status":504,"#]),
            ("\"lock wait timeout\"", ["-c", "-i", #"\block wait timeout\b"#]),
            ("traceId:\(corpus.needleTraceId)", ["-c", corpus.needleTraceId]),
            // A word in no record (issue 3's "a word that matches nothing", target ≤ 5 ms).
            (Self.absentWord, ["-c", "-i", "\\b\(Self.absentWord)\\b"]),
            ("*", ["-c", ""]),
        ]
        Swift.print(
            "\nquery latency over HTTP (median of \(runs) after a first run, which the cache holds for a repeat: "
                + "first = that first count), against `rg -c` over the raw file:")
        Swift.print(
            pad("query", 34) + pad("first ms", 10) + pad("count ms", 10) + pad("top100 ms", 11) + pad("rg ms", 9)
                + pad("rg/count", 9) + "matches")
        var ours: [OurQueryFigures] = []
        for (query, rgArguments) in queries {
            let firstTimes = try await timed(1) {
                _ = try await server.get("/api/v1/count", query: query, limit: nil)
            }
            let countTimes = try await timed(runs) {
                _ = try await server.get("/api/v1/count", query: query, limit: nil)
            }
            let searchTimes = try await timed(runs) {
                _ = try await server.get("/api/v1/search", query: query, limit: 100)
            }
            let countBody = try await server.get("/api/v1/count", query: query, limit: nil)
            let matches = (try? JSONSerialization.jsonObject(with: countBody) as? [String: Int])?["count"] ?? -1
            let rgTimes = try timedSync(max(3, runs / 3)) { _ = try runProcess("/usr/bin/rg", rgArguments + [rawPath]) }
            let rgMatches =
                Int(
                    (try runProcess("/usr/bin/rg", rgArguments + [rawPath])).trimmingCharacters(
                        in: .whitespacesAndNewlines)) ?? -1
            let ratio = median(rgTimes) / max(median(countTimes), 0.001)
            ours.append(
                OurQueryFigures(
                    key: query.hasPrefix("traceId:") ? "traceId" : query, count: matches,
                    countMilliseconds: median(countTimes), top100Milliseconds: median(searchTimes)))
            Swift.print(
                pad(query.count > 32 ? String(query.prefix(31)) + "…" : query, 34) + pad(format(firstTimes[0]), 10)
                    + pad(format(median(countTimes)), 10)
                    + pad(format(median(searchTimes)), 11) + pad(format(median(rgTimes)), 9)
                    + pad(String(format: "%.1fx", ratio), 9) + "\(matches) (rg \(rgMatches))")
        }
        try await measurePipelines(server: server, corpus: corpus.bytes, rawPath: rawPath)
        if let follow = try FollowFigures.measure(bin: bin, server: server) {
            Swift.print(
                "live tail: logq -f shows a new line \(format(follow)) ms after it is sent (median of 5; target ≤ 1000)"
            )
        }

        // Syslog over TCP (RFC 5424, octet-counted, as rsyslog forwards), parsing included, after the
        // queries so that their counts stay those of the JSON corpus.
        let syslog = syslogCorpus(count: min(lines, 200_000))
        let syslogStarted = Date()
        try sendConcurrently(syslog.bytes, connections: connections, port: server.syslogPort)
        try await server.waitForCount(syslog.count, query: "source:syslog")
        let syslogSeconds = Date().timeIntervalSince(syslogStarted)
        Swift.print(
            "\ningest of syslog over TCP (RFC 5424, octet-counted, parsed): \(syslog.count) lines in "
                + "\(String(format: "%.2f", syslogSeconds)) s: \(String(format: "%.0f", Double(syslog.count) / syslogSeconds)) "
                + "lines/s, \(String(format: "%.1f", Double(syslog.bytes.count) / syslogSeconds / 1e6)) MB/s "
                + "(JSON lines above: \(String(format: "%.0f", Double(lines) / ingest.seconds)) lines/s; target >= 250k each)"
        )

        if tailMegabytes > 0 {
            server.stop()
            try await measureTailing(megabytes: tailMegabytes, jsonLinesPerSecond: Double(lines) / ingest.seconds)
        }

        if let peersPython {
            server.stop()
            let peers = PeerResult.run(
                python: peersPython, script: peersScript, corpus: rawPath, work: work, runs: runs)
            printPeers(peers, ours: ours, ingest: ingest, store: store!)
        }

        if backupLines > 0 {
            server.stop()
            try await BackupFigures.measure(lines: backupLines, seed: seed, work: work).print()
        }
    }

    /// A pre-written Spring Boot log (stack traces included) tailed by a fresh logqd with the springboot
    /// pack: from start to every event queryable.
    private func measureTailing(megabytes: Int, jsonLinesPerSecond: Double) async throws {
        let folder = work + "/tail"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/order.log"
        var generator = CorpusGenerator(seed: seed &+ 2)
        var text: [UInt8] = []
        text.reserveCapacity(megabytes << 20)
        var events = 0
        while text.count < megabytes << 20 {
            let event = generator.next()
            guard event.kind == .springBoot else { continue }
            text.append(contentsOf: event.nativeText().utf8)
            events += 1
        }
        try writeRawFile(text, to: path)
        let config = work + "/tail.yaml"
        try "inputs:\n  - {type: file, name: bench, paths: [\"\(folder)/*.log\"], parser: springboot}\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let dataDirectory = work + "/tail-data"
        let started = Date()
        let server = try BenchServer.start(
            bin: bin, work: work, dataDirectory: dataDirectory, extraArguments: ["--config", config])
        defer { server.stop() }
        // The file's last event is stored only when the multiline timeout (5 s) ends it, since no line
        // follows it (as in Filebeat): the rate is taken up to the event before it, its wait shown apart.
        try await server.waitForStoredRecords(events - 1)
        let seconds = Date().timeIntervalSince(started)
        try await server.waitForStoredRecords(events)
        let lastSeconds = Date().timeIntervalSince(started)
        try await server.waitForCount(events, query: "source:\"\(path)\"")
        Swift.print(
            "\nfile tailing of a pre-written Spring Boot log (\(megabytes) MB, \(events) events with stack traces, "
                + "springboot pack): \(String(format: "%.1f", Double(text.count) / seconds / 1e6)) MB/s, "
                + "\(String(format: "%.0f", Double(events) / seconds)) events/s up to the last event "
                + "(target >= 100 MB/s); the last, ended by the multiline timeout, stored after "
                + "\(String(format: "%.1f", lastSeconds)) s")
    }

    /// The corpus's events as rsyslog forwards them: `LEN <PRI>1 TIME HOST APP - - - MSG\n` (the LF counted
    /// in the frame), the message's first line only.
    private func syslogCorpus(count: Int) -> (bytes: [UInt8], count: Int) {
        var generator = CorpusGenerator(seed: seed &+ 1)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * 200)
        let severities = ["trace": 7, "debug": 7, "info": 6, "warn": 4, "error": 3]
        for _ in 0..<count {
            let event = generator.next()
            let text = event.message.prefix { $0 != "\n" }
            let priority = 16 * 8 + (severities[event.level] ?? 6)
            let message =
                "<\(priority)>1 \(TimestampFormat.rfc3339(event.timestamp)) \(event.host) \(event.service) - - - \(text)\n"
            bytes.append(contentsOf: "\(message.utf8.count) \(message)".utf8)
        }
        return (bytes, count)
    }

    /// The length of the corpus's first `lines` lines.
    private func prefixLength(of corpus: [UInt8], lines: Int) -> Int {
        var seen = 0
        for (offset, byte) in corpus.enumerated() where byte == UInt8(ascii: "\n") {
            seen += 1
            if seen == lines { return offset + 1 }
        }
        return corpus.count
    }

    private func generateCorpus() -> (bytes: [UInt8], needleTraceId: String) {
        var generator = CorpusGenerator(seed: seed)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines * 340)
        var needle = ""
        for index in 0..<lines {
            let event = generator.next()
            if index == lines / 2 || (needle.isEmpty && index > lines / 2),
                let trace = event.fields.first(where: { $0.0 == "traceId" }), case .string(let text) = trace.1
            {
                needle = text
            }
            bytes.append(contentsOf: event.jsonLine().utf8)
            bytes.append(UInt8(ascii: "\n"))
        }
        return (bytes, needle)
    }
}

struct IngestFigures {
    var lines: Int
    var rawBytes: Int
    var seconds: Double
    var sendSeconds: Double
    var segmentBytes: Int
    var indexBytes: Int
    var zstdBytes: Int

    func print() {
        let perLine = Double(segmentBytes) / Double(lines)
        let zstdPerLine = Double(zstdBytes) / Double(lines)
        Swift.print(
            "\ningest over TCP (send to queryable): \(String(format: "%.2f", seconds)) s (sending took \(String(format: "%.2f", sendSeconds)) s)"
        )
        Swift.print(
            "  \(String(format: "%.0f", Double(lines) / seconds)) lines/s, \(String(format: "%.1f", Double(rawBytes) / seconds / 1e6)) MB/s"
        )
        Swift.print(
            "on disk after flush: \(String(format: "%.1f", perLine)) bytes/line (index \(String(format: "%.1f", Double(indexBytes) / Double(lines))), data \(String(format: "%.1f", Double(segmentBytes - indexBytes) / Double(lines))))"
        )
        Swift.print(
            "  zstd -3 of the raw JSON: \(String(format: "%.1f", zstdPerLine)) bytes/line; logq/zstd = \(String(format: "%.2f", perLine / zstdPerLine))x; raw JSON \(String(format: "%.0f", Double(rawBytes) / Double(lines))) bytes/line"
        )
    }
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

func format(_ milliseconds: Double) -> String { String(format: milliseconds < 10 ? "%.2f" : "%.0f", milliseconds) }

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

func timed(_ runs: Int, _ body: () async throws -> Void) async throws -> [Double] {
    var times: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        try await body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return times
}

func timedSync(_ runs: Int, _ body: () throws -> Void) throws -> [Double] {
    var times: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return times
}

func runProcess(_ path: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

func zstdSize(_ path: String) throws -> Int {
    _ = try runProcess("/usr/bin/zstd", ["-3", "-q", "-f", "-T1", path, "-o", path + ".zst"])
    let attributes = try FileManager.default.attributesOfItem(atPath: path + ".zst")
    return (attributes[.size] as? Int) ?? 0
}

extension Bench {
    /// The query issue's pipeline figures, and a regex over one service against `rg` on that service's
    /// own raw lines, measured over HTTP like the other queries (median of `runs`).
    func measurePipelines(server: BenchServer, corpus: [UInt8], rawPath: String) async throws {
        let orderPath = work + "/order.jsonl"
        var order: [UInt8] = []
        let marker = Array(#""service":"order""#.utf8)
        // By memchr and memcmp: the generic `firstRange(of:)` took minutes over ten million lines.
        corpus.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            var lineStart = 0
            while lineStart < bytes.count {
                let newline = memchr(base + lineStart, 0x0A, bytes.count - lineStart)
                let end =
                    newline.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base + 1 } ?? bytes.count
                let line = UnsafeRawBufferPointer(start: base + lineStart, count: end - lineStart)
                if marker.withUnsafeBytes({ line.containsBytes($0) }) {
                    order.append(contentsOf: bytes[lineStart..<end])
                }
                lineStart = end
            }
        }
        try writeRawFile(order, to: orderPath)

        Swift.print("\npipelines over HTTP (median of \(runs) after a first run):")
        let pipelines = [
            "timeout | count", "* | count by (service)", "level:error | top 5 by (service)",
            "* | stats count() p95(request_time) by (service)", "* | histogram 1m",
            #"service:order /Payment failed orderId=O\d+ reason=card_declined/ | count"#,
        ]
        var regexMilliseconds = 0.0
        for pipeline in pipelines {
            _ = try await server.get("/api/v1/stats", query: pipeline, limit: nil)
            let times = try await timed(runs) { _ = try await server.get("/api/v1/stats", query: pipeline, limit: nil) }
            let rows =
                (try? JSONSerialization.jsonObject(
                    with: try await server.get("/api/v1/stats", query: pipeline, limit: nil))
                as? [String: Any])?["rows"] as? [[Any]] ?? []
            Swift.print(
                pad(pipeline.count > 58 ? String(pipeline.prefix(57)) + "…" : pipeline, 60)
                    + pad(format(median(times)) + " ms", 12) + "\(rows.count) rows")
            if pipeline.contains("/Payment") { regexMilliseconds = median(times) }
        }
        let rgArguments = ["-c", #"Payment failed orderId=O\d+ reason=card_declined"#, orderPath]
        let rgTimes = try timedSync(max(3, runs / 3)) { _ = try runProcess("/usr/bin/rg", rgArguments) }
        Swift.print(
            "regex over the order service: \(format(regexMilliseconds)) ms; rg -c on that service's raw lines "
                + "(\(order.count / 1_000_000) MB): \(format(median(rgTimes))) ms; ours ÷ rg = "
                + String(format: "%.2f", regexMilliseconds / max(median(rgTimes), 0.001)) + " (target ≤ 2)")
    }
}
