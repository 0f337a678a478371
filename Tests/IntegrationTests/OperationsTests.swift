import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the people running logqd check: the example configuration is valid, and `/metrics` passes
/// Prometheus's own linter (Debian's promtool, installed by `make test`).
@Suite struct OperationsTests {
    @Test func theExampleConfigurationIsValid() throws {
        let example = Repository.root.appendingPathComponent("fixtures/config/logqd.yaml").path
        let checked = try run(Binaries.path("logqd"), ["--config", example, "--check-config"])
        #expect(checked.status == 0 && checked.output.contains("configuration is valid"), "\(checked.output)")
    }

    @Test func metricsPassPromtool() throws {
        let promtool = "/usr/bin/promtool"
        guard FileManager.default.isExecutableFile(atPath: promtool) else {
            print("skipped: \(promtool) is not installed (make test installs prometheus)")
            return
        }
        let server = ServerProcess(dataDirectory: temporaryPath("metrics"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }
        try sendTCP(
            Array("{\"level\":\"error\",\"service\":\"order\",\"message\":\"counted\"}\n".utf8), port: server.tcpPort)
        try eventually(30, "the line stored") { try count("counted", server) == 1 }
        #expect(try run("/usr/bin/curl", ["-s", "-X", "POST", server.baseURL + "/api/v1/flush"]).status == 0)
        _ = try httpGet(server.baseURL + "/api/v1/stats?q=" + "*%20%7C%20count%20by%20(service)")
        let metrics = temporaryPath("metrics.txt")
        let text = try httpGet(server.baseURL + "/metrics").body
        try text.write(toFile: metrics, atomically: true, encoding: .utf8)
        let checked = try run("/bin/sh", ["-c", "\(promtool) check metrics < \(metrics)"])
        #expect(checked.status == 0, "promtool: \(checked.output)")
        // The series the operations issue names carry what happened: one line over TCP, fsynced, flushed into
        // one segment of today, counted by two queries.
        let values = Self.samples(text)
        #expect(values[#"logq_ingest_lines_total{listener="tcp"}"#] == 1)
        #expect((values["logq_wal_fsync_duration_seconds_count"] ?? 0) >= 1)
        #expect(values["logq_store_flushes_total"] == 1 && values["logq_store_flushed_records_total"] == 1)
        #expect((values[#"logq_query_duration_seconds_count{kind="count"}"#] ?? 0) >= 1)
        #expect(values[#"logq_query_duration_seconds_count{kind="stats"}"#] == 1)
        #expect(values.keys.contains { $0.hasPrefix("logq_store_day_segments{day=") }, "\(text)")
        #expect(values["logq_query_tail_subscribers"] == 0)
        #expect(values.keys.contains("logq_incidents_rule_evaluations_total"))
        #expect(values.keys.contains(#"logq_incidents_open{severity="critical"}"#))
        #expect(try httpGet(server.baseURL + "/readyz").status == 200)

        // The deployment examples stay valid: the alert rules, and the scrape config beside them.
        let deploy = Repository.root.appendingPathComponent("docs/deploy").path
        let rules = try run(promtool, ["check", "rules", deploy + "/logqd-alerts.yml"])
        #expect(rules.status == 0, "\(rules.output)")
        let folder = temporaryPath("prometheus")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "token".write(toFile: folder + "/token", atomically: true, encoding: .utf8)
        let scrape = try String(contentsOfFile: deploy + "/prometheus.yml", encoding: .utf8)
            .replacingOccurrences(of: "/etc/prometheus/logq-query-token", with: folder + "/token")
        try scrape.write(toFile: folder + "/prometheus.yml", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: deploy + "/logqd-alerts.yml", toPath: folder + "/logqd-alerts.yml")
        let config = try run(promtool, ["check", "config", folder + "/prometheus.yml"])
        #expect(config.status == 0, "\(config.output)")
    }

    /// `name{labels} value` lines of the exposition format, by series.
    static func samples(_ text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            values[String(line[..<space])] = value
        }
        return values
    }
}
