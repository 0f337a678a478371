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
        let metrics = temporaryPath("metrics.txt")
        try httpGet(server.baseURL + "/metrics").body.write(toFile: metrics, atomically: true, encoding: .utf8)
        let checked = try run("/bin/sh", ["-c", "\(promtool) check metrics < \(metrics)"])
        #expect(checked.status == 0, "promtool: \(checked.output)")
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
}
