import Foundation
import LogqCorpus
import Testing

/// The first real path: generated lines over TCP into a real logqd, a crash and a clean restart,
/// and the real `logq` CLI returning exactly the counts the generator reported.
@Suite(.serialized) struct EndToEndTests {
    @Test func generatedCorpusSurvivesCrashAndRestartWithExactCounts() throws {
        let work = temporaryPath("e2e")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let corpus = work + "/corpus.jsonl"
        let countsFile = work + "/counts.json"
        let generated = try runLogq(
            ["gen", "--seed", "2026", "--count", "20000", "--out", corpus, "--counts", countsFile], url: nil)
        #expect(generated.status == 0, "\(generated.stderr)")
        let counts = try JSONDecoder().decode(
            CorpusCounts.self, from: Data(contentsOf: URL(fileURLWithPath: countsFile)))
        #expect(counts.total == 20000)

        let server = ServerProcess(dataDirectory: work + "/data")
        try server.start()
        defer { server.stop(signal: SIGKILL) }

        // Two senders at once, each with half of the lines, in chunks that split lines anywhere.
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: corpus)))
        let middle = bytes[(bytes.count / 2)...].firstIndex(of: UInt8(ascii: "\n"))! + 1
        let port = server.tcpPort
        try DispatchQueue.concurrentPerformWithErrors(2) { index in
            try sendTCP(Array(index == 0 ? bytes[..<middle] : bytes[middle...]), port: port)
        }
        try eventually(120, "all lines stored") { try count("*", server) == counts.total }
        try expectExactCounts(counts, server, "before the crash")

        // A crash: nothing acknowledged may be lost, nothing duplicated.
        server.stop(signal: SIGKILL)
        try server.start()
        try expectExactCounts(counts, server, "after kill -9")

        // A clean stop flushes the memtable to segments; the answers stay the same.
        server.stop(signal: SIGTERM)
        try server.start()
        try expectExactCounts(counts, server, "after a clean restart")
        let segments = try FileManager.default.subpathsOfDirectory(atPath: server.dataDirectory + "/segments")
            .filter { $0.hasSuffix(".seg") }
        #expect(!segments.isEmpty)

        // Newest first, with the limit.
        let newest = try runLogq(["-o", "json", "-l", "5", "level:error service:order"], url: server.baseURL)
        #expect(newest.status == 0)
        let times = newest.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["_time"] as? String
        }
        #expect(times.count == 5)
        #expect(times == times.sorted(by: >))

        // Time windows from the CLI: the corpus spans about 20 s from 2026-11-23T09:00:00Z.
        let window = ["--count", "--from", "2026-11-23T09:00:00Z", "--to", "2026-11-23T10:00:00+00:00", "*"]
        #expect(
            try runLogq(window, url: server.baseURL).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "20000")
        let later = try runLogq(["--count", "--from", "2026-11-23T10:00:00Z", "level:error"], url: server.baseURL)
        #expect(later.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let recent = try runLogq(["--count", "--since", "1m", "*"], url: server.baseURL)
        #expect(recent.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let badWindow = try runLogq(["--since", "soon", "*"], url: server.baseURL)
        #expect(badWindow.status == 2)
        #expect(badWindow.stderr.contains("--since takes a duration"))

        let text = try runLogq(["-l", "1", "payment"], url: server.baseURL)
        #expect(text.stdout.contains("ERROR order: Payment failed"))
        #expect(text.stdout.contains("\tat com.coffee."), "stack trace kept in the message")

        // Aggregations from the CLI: a table on the terminal, rows as JSON with -o json.
        let table = try runLogq(["* | count by (service)"], url: server.baseURL)
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true)
        }
        #expect(lines.first == ["service", "count"])
        var shown: [String: Int] = [:]
        for line in lines.dropFirst() where line.count == 2 { shown[String(line[0])] = Int(line[1]) }
        #expect(shown == counts.byService, "\(table.stdout)")
        let counted = lines.dropFirst().compactMap { $0.last.flatMap { Int($0) } }
        #expect(counted == counted.sorted(by: >), "most frequent first")

        let json = try runLogq(
            ["-o", "json", "level:error | stats count() by (service) | sort by (service) | limit 3"],
            url: server.baseURL)
        let rows = json.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(rows.count == 3)
        let services = rows.compactMap { $0["service"] as? String }
        #expect(services == services.sorted())
        for row in rows {
            let service = row["service"] as? String ?? ""
            #expect(row["count"] as? Int == counts.count(service: service, level: "error"), "\(row)")
        }
        let badPipe = try runLogq(["* | count by service"], url: server.baseURL)
        #expect(badPipe.status == 2)
        #expect(badPipe.stderr.contains("^"))
    }

    private func expectExactCounts(_ counts: CorpusCounts, _ server: ServerProcess, _ when: String) throws {
        #expect(try count("*", server) == counts.total, "\(when)")
        #expect(
            try count("level:error service:order", server) == counts.count(service: "order", level: "error"), "\(when)")
        #expect(
            try count("level:warn service:nginx", server) == counts.count(service: "nginx", level: "warn"), "\(when)")
        for service in ["gateway", "mysql", "ai-recommend"] {
            #expect(try count("service:\(service)", server) == counts.byService[service], "\(service) \(when)")
        }
        for (word, expected) in counts.words {
            #expect(try count(word, server) == expected, "\(word) \(when)")
        }
        #expect(try count("service:nginx status:504", server) == counts.byStatus["504"], "\(when)")
        #expect(
            try count("service:order OR service:member", server)
                == (counts.byService["order"] ?? 0) + (counts.byService["member"] ?? 0), "\(when)")
        #expect(
            try count("level:error -service:order", server)
                == (counts.byLevel["error"] ?? 0) - counts.count(service: "order", level: "error"), "\(when)")
        #expect(
            try count("service:nginx status:[500 TO 599]", server)
                == [500, 502, 504].reduce(0) {
                    $0 + (counts.byStatus[String($1)] ?? 0)
                }, "\(when)")
        // Search (not just count) returns every match when the limit allows.
        let all = try runLogq(["-o", "raw", "-l", "100000", "level:error service:order"], url: server.baseURL)
        let records = all.stdout.components(separatedBy: "\n").filter {
            $0.hasPrefix("Payment failed") || $0.hasPrefix("Lock wait") || $0.hasPrefix("Deadlock")
                || $0.hasPrefix("Redis command failed")
        }
        #expect(records.count == counts.count(service: "order", level: "error"), "\(when)")
    }
}

extension DispatchQueue {
    static func concurrentPerformWithErrors(_ iterations: Int, _ body: @Sendable (Int) throws -> Void) throws {
        let errors = NSLock()
        nonisolated(unsafe) var first: (any Error)?
        concurrentPerform(iterations: iterations) { index in
            do { try body(index) } catch {
                errors.lock()
                if first == nil { first = error }
                errors.unlock()
            }
        }
        if let first { throw first }
    }
}
