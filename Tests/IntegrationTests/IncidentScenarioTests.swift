import Foundation
import LogqCorpus
import Testing

/// The issue's scenario on the real server: a day of the platform's logs with a long lock on the `orders`
/// table at 14:00, sent in time order to logqd's TCP port, yields one critical incident whose top root-cause
/// candidate is the slow queries on that table; its postmortem's figures equal the generator's counts.
@Suite(.serialized) struct IncidentScenarioTests {
    @Test func aDayWithATableLockGivesOneIncidentAndAPostmortemWhoseNumbersMatch() throws {
        let faultStart = CorpusGenerator.defaultStart + 5 * 3600 * 1_000_000_000
        let fault = CorpusFault(start: faultStart, duration: 20 * 60 * 1_000_000_000)
        var generator = CorpusGenerator(seed: 48, eventsPerSecond: 2, fault: fault)
        let dayEnd = CorpusGenerator.defaultStart + 24 * 3600 * 1_000_000_000
        var events: [CorpusEvent] = []
        var lines: [UInt8] = []
        while true {
            let event = generator.next()
            guard event.timestamp < dayEnd else { break }
            events.append(event)
            lines += Array(event.jsonLine().utf8) + [UInt8(ascii: "\n")]
        }

        let directory = temporaryPath("scenario")
        let config = directory + ".yaml"
        // Idle after 15 s: long enough that a loaded machine's pause in the middle of the send is not taken for
        // the end of the stream (the wall clock is days past the data), short enough to end the test soon.
        try "incidents:\n  source_idle: 15s\n".write(toFile: config, atomically: true, encoding: .utf8)
        let server = ServerProcess(dataDirectory: directory)
        try server.start(extraArguments: ["--config", config])
        defer { server.stop(signal: SIGKILL) }
        try sendTCP(lines, port: server.tcpPort)

        var incidents: [[String: Any]] = []
        try eventually(600, "the incident, once every record is evaluated") {
            incidents = try IncidentFlowTests.incidents(server)
            // Evaluated to the end: the day's last records are in, and the watermark has moved past them.
            return try count("*", server) == events.count && !incidents.isEmpty
                && (try Self.watermarkPassed(dayEnd, server))
        }
        incidents = try IncidentFlowTests.incidents(server)
        #expect(incidents.count == 1, "one incident for one fault: \(incidents.map { $0["title"] ?? "" })")
        let incident = try #require(incidents.first)
        #expect(incident["severity"] as? String == "critical")
        let causes = incident["root_causes"] as? [[String: Any]] ?? []
        let top = causes.first?["signal"] as? [String: Any]
        #expect(
            top?["signal"] as? String == "slow-queries" && top?["labels"] as? [String] == ["table=orders"],
            "\(causes) \(incident["signals"] ?? "")")
        let id = try #require(incident["id"] as? Int)

        let result = try runLogq(["postmortem", "\(id)", "-o", "json"], url: server.baseURL)
        #expect(result.status == 0, "\(result.stderr)")
        guard result.status == 0 else { return }
        let postmortem = try #require(Self.object(result.stdout), "\(result.stdout.prefix(500))")
        let start = try #require(postmortem["start"] as? Int64 ?? (postmortem["start"] as? Int).map(Int64.init))
        let end = try #require(postmortem["end"] as? Int64 ?? (postmortem["end"] as? Int).map(Int64.init))
        #expect(start >= fault.start && start < fault.end)
        // The generator's counts over the same span (timestamps as the JSON lines carry them, in milliseconds).
        let inSpan = events.filter {
            let stored = $0.timestamp - $0.timestamp % 1_000_000
            return stored >= start && stored <= end
        }
        func status(_ event: CorpusEvent) -> Int? {
            event.fields.first { $0.0 == "status" }.flatMap {
                if case .int(let code) = $0.1 { return code } else { return nil }
            }
        }
        var expected: [String: Int] = [
            "requests": inSpan.filter { $0.service == "nginx" }.count,
            "failed requests (5xx)": inSpan.filter { $0.service == "nginx" && (status($0) ?? 0) >= 500 }.count,
            "error lines": inSpan.filter { $0.level == "error" }.count,
        ]
        for service in incident["services"] as? [String] ?? [] {
            expected["error lines from \(service)"] =
                inSpan.filter { $0.level == "error" && $0.service == service }.count
        }
        let impact = postmortem["impact"] as? [[String: Any]] ?? []
        #expect(impact.count == expected.count)
        for figure in impact {
            let name = figure["name"] as? String ?? ""
            #expect((figure["value"] as? Double).map { Int($0) } == expected[name], "\(name): \(figure)")
            #expect((figure["query"] as? String)?.contains("_time:[") == true)
        }
        #expect(expected["failed requests (5xx)"]! > 100, "the 504s are in the span")
        let markdown = try runLogq(["postmortem", "\(id)"], url: server.baseURL).stdout
        for section in [
            "## Summary", "## Impact", "## Timeline", "## Root cause", "## Detection", "## Resolution",
            "## Action items",
        ] {
            #expect(markdown.contains(section), "\(section) in the postmortem")
        }
        let html = try runLogq(["postmortem", "\(id)", "-o", "html"], url: server.baseURL).stdout
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg"))
        // The slow-query rule replayed over the stored logs of the afternoon fires when the live one did.
        let rules = directory + "-rules.yaml"
        try """
        rules:
          - { name: slow-queries, kind: slow_query, query: 'service:mysql', min_query_time: 10s, by: [table],
              above: 5, window: 5m, for: 1m, severity: warning, category: data }
        """.write(toFile: rules, atomically: true, encoding: .utf8)
        let replay = try runLogq(
            ["rules", "test", rules, "--from", "2026-11-23T13:30:00Z", "--to", "2026-11-23T15:30:00Z"],
            url: server.baseURL)
        #expect(replay.status == 0, "\(replay.stderr)")
        let firing = replay.stdout.split(separator: "\n").filter { $0.contains("FIRING") }
        #expect(firing.count == 1 && firing[0].contains("slow-queries{table=orders}"), "\(replay.stdout)")
        #expect(firing.first?.hasPrefix("2026-11-23T14:0") == true, "\(replay.stdout)")
        let weekly = try runLogq(["report", "weekly", "--week", "2026-W48", "-o", "json"], url: server.baseURL)
        let report = try #require(Self.object(weekly.stdout), "\(weekly.stdout.prefix(500)) \(weekly.stderr)")
        #expect((report["incidents"] as? [Any])?.count == 1)
        #expect((report["by_severity"] as? [String: Int]) == ["critical": 1])
        let slowest = report["slowest_statements"] as? [[String: Any]] ?? []
        #expect(((slowest.first?["cells"] as? [String])?.first) == "orders", "\(slowest.prefix(2))")
    }

    static func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// Whether the rules have evaluated past `time` (the server's incident status says how far they are).
    static func watermarkPassed(_ time: Int64, _ server: ServerProcess) throws -> Bool {
        let body = try httpGet(server.baseURL + "/api/v1/alerts/status").body
        let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return ((object?["watermark"] as? Int64) ?? (object?["watermark"] as? Int).map(Int64.init) ?? 0) >= time
    }
}
