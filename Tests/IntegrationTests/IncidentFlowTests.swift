import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The incident workflow on the real binaries: a real Prometheus Alertmanager posts its webhook to logqd,
/// the alert joins the order service's error burst by the topology into one incident, and on-call works it
/// through `logq`; the record is checked in the SQLite file itself.
@Suite(.serialized) struct IncidentFlowTests {
    static let alertmanager = "/usr/bin/prometheus-alertmanager"

    @Test func anAlertmanagerAlertAndAnErrorBurstBecomeOneIncidentWorkedThroughTheCLI() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.alertmanager) else {
            print("skipped: \(Self.alertmanager) is not installed (make test installs prometheus-alertmanager)")
            return
        }
        let directory = temporaryPath("incidents")
        let config = directory + ".yaml"
        try """
        incidents:
          source_idle: 1s
          topology: { gateway: [order], order: [mysql] }
          rules:
            - { name: order-errors, kind: threshold, query: 'level:error service:order', by: [service], above: 5,
                window: 1m, severity: warning, category: application }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = ServerProcess(dataDirectory: directory)
        try server.start(extraArguments: ["--config", config])
        defer { server.stop(signal: SIGKILL) }

        // The order service's errors, now: a warning signal, which alone opens no incident.
        let now = ISO8601DateFormatter().string(from: Date())
        let lines = (1...20).map {
            "{\"@timestamp\":\"\(now)\",\"level\":\"ERROR\",\"service\":\"order\","
                + "\"message\":\"Communications link failure to mysql-orders attempt \($0)\"}\n"
        }.joined()
        try sendTCP(Array(lines.utf8), port: server.tcpPort)
        try eventually(60, "the order-errors alert group") {
            let alerts = try runLogq(["alerts"], url: server.baseURL)
            return alerts.stdout.contains("order-errors{service=order}") && alerts.stdout.contains("no incident")
        }
        #expect(try Self.incidents(server).isEmpty, "a warning group waits for on-call")

        // Alertmanager, really running, sends MySQLDown (critical) for the service order calls.
        let alertmanager = try AlertmanagerProcess(webhook: server.baseURL + "/api/v1/alertmanager")
        defer { alertmanager.stop() }
        let alert = """
            [{"labels":{"alertname":"MySQLDown","service":"mysql","instance":"db-01:9104","job":"mysqld","severity":"critical"},
              "annotations":{"summary":"MySQL on db-01 is down"},"startsAt":"\(now)"}]
            """
        let posted = try httpPost(alertmanager.baseURL + "/api/v2/alerts", body: alert, contentType: "application/json")
        #expect(posted.status == 200, "\(posted.body)")
        var incident: [String: Any] = [:]
        try eventually(60, "the incident") {
            guard let first = try Self.incidents(server).first else { return false }
            incident = first
            return true
        }
        #expect(incident["severity"] as? String == "critical")
        let signals = (incident["signals"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? [String: Any] }
            .compactMap { $0["signal"] as? String }
        #expect(Set(signals) == ["order-errors", "alertmanager:MySQLDown"], "\(signals)")
        let causes = incident["root_causes"] as? [[String: Any]] ?? []
        #expect((causes.first?["service"] as? String) == "mysql", "the deepest dependency first: \(causes)")
        let id = try #require(incident["id"] as? Int)

        // On-call works it through the CLI.
        let shown = try runLogq(["incident", "show", "\(id)"], url: server.baseURL)
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("root-cause candidates") && shown.stdout.contains("Database connection failures"))
        #expect(try runLogq(["incident", "ack", "\(id)", "--by", "alice"], url: server.baseURL).status == 0)
        #expect(
            try runLogq(
                ["incident", "note", "\(id)", "failed over to the replica", "--by", "alice"], url: server.baseURL
            ).status == 0)
        #expect(try runLogq(["incident", "resolve", "\(id)", "--by", "alice"], url: server.baseURL).status == 0)
        let again = try runLogq(["incident", "resolve", "\(id)"], url: server.baseURL)
        #expect(again.status != 0)
        #expect(again.stderr.contains("is resolved and cannot become resolved"), "\(again.stderr)")

        // A malformed payload is refused with a reason; the server goes on.
        let bad = try httpPost(
            server.baseURL + "/api/v1/alertmanager", body: "{\"alerts\": 3}", contentType: "application/json")
        #expect(bad.status == 400 && bad.body.contains("wrong type"), "\(bad.body)")

        let metrics = try httpGet(server.baseURL + "/metrics").body
        #expect(metrics.contains("logq_incidents_open{severity=\"critical\"} 0"), "resolved: \(metrics)")
        #expect(metrics.contains("logq_incidents_firing_signals "))

        // The fault record in SQLite, read with the sqlite3 tool.
        let row = try run(
            "/usr/bin/sqlite3", [directory + "/incidents.sqlite", "SELECT status, acknowledged_by FROM incident"])
        #expect(row.output.trimmingCharacters(in: .whitespacesAndNewlines) == "resolved|alice")
        let timeline = try run(
            "/usr/bin/sqlite3", [directory + "/incidents.sqlite", "SELECT kind FROM incident_event ORDER BY id"])
        for kind in ["opened", "signal_joined", "acknowledged", "note", "status_changed"] {
            #expect(timeline.output.contains(kind), "\(kind) on the timeline: \(timeline.output)")
        }
    }

    @Test func backupsCarryTheIncidentRecordsAndRestoreThem() throws {
        let directory = temporaryPath("incident-backup")
        let backups = directory + "-backups"
        let config = directory + ".yaml"
        try "backup:\n  dir: \(backups)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let server = ServerProcess(dataDirectory: directory)
        try server.start(extraArguments: ["--config", config])
        defer { server.stop(signal: SIGKILL) }
        let now = ISO8601DateFormatter().string(from: Date())
        let alert = """
            {"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"DiskFull",
             "instance":"db-01:9100","severity":"critical"},"startsAt":"\(now)","endsAt":"0001-01-01T00:00:00Z"}]}
            """
        let posted = try httpPost(server.baseURL + "/api/v1/alertmanager", body: alert, contentType: "application/json")
        #expect(posted.status == 200, "\(posted.body)")
        try eventually(30, "the incident") { try !Self.incidents(server).isEmpty }
        #expect(try runLogq(["incident", "ack", "1", "--by", "dana"], url: server.baseURL).status == 0)
        let taken = try runLogq(["backup", "now"], url: server.baseURL)
        #expect(taken.status == 0, "\(taken.stderr) \(server.serverLog().suffix(2000))")
        let listed = try runLogq(["backup", "list", "--dir", backups], url: nil)
        let id = try #require(listed.stdout.split(separator: "\n").dropFirst().first?.split(separator: " ").first)
        let restoredDirectory = directory + "-restored"
        let restored = try runLogq(
            ["backup", "restore", "--dir", backups, String(id), "--to", restoredDirectory], url: nil)
        #expect(restored.stdout.contains("restored incidents.sqlite"), "\(restored.stdout)\(restored.stderr)")
        let row = try run(
            "/usr/bin/sqlite3",
            [restoredDirectory + "/incidents.sqlite", "SELECT title, status, acknowledged_by FROM incident"])
        #expect(
            row.output.trimmingCharacters(in: .whitespacesAndNewlines)
                == "alertmanager:DiskFull on db-01:9100|acknowledged|dana")
    }

    @Test func aFailedBackupRaisesTheBackupSignalUntilOneSucceeds() throws {
        let directory = temporaryPath("backup-signal")
        let backups = directory + "-backups"
        // A file where the backup folder should be: every backup fails until it is moved away.
        _ = FileManager.default.createFile(atPath: backups, contents: Data("not a folder".utf8))
        let config = directory + ".yaml"
        try "backup:\n  dir: \(backups)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let server = ServerProcess(dataDirectory: directory)
        try server.start(extraArguments: ["--config", config])
        defer { server.stop(signal: SIGKILL) }
        #expect(try runLogq(["backup", "now"], url: server.baseURL).status != 0)
        let alerts = try runLogq(["alerts"], url: server.baseURL).stdout
        #expect(alerts.contains("● backup-failed") && alerts.contains("the backup failed"), "\(alerts)")
        try FileManager.default.removeItem(atPath: backups)
        #expect(try runLogq(["backup", "now"], url: server.baseURL).status == 0)
        let after = try runLogq(["alerts"], url: server.baseURL).stdout
        #expect(after.contains("○ backup-failed"), "resolved once a backup succeeds: \(after)")
    }

    @Test func theWeeklyReviewIsEmailedThroughTheConfiguredRelay() throws {
        let python = Repository.root.appendingPathComponent(".venv-test/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            print("skipped: \(python) is missing (make test installs aiosmtpd into .venv-test)")
            return
        }
        let smtpPort = try freeTCPPort()
        let received = temporaryPath("smtp-received")
        _ = FileManager.default.createFile(atPath: received, contents: nil)
        let sink = Process()
        sink.executableURL = URL(fileURLWithPath: python)
        sink.arguments = ["-u", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(smtpPort)"]
        sink.standardOutput = FileHandle(forWritingAtPath: received)
        sink.standardError = FileHandle(forWritingAtPath: received)
        try sink.run()
        defer {
            kill(sink.processIdentifier, SIGKILL)
            sink.waitUntilExit()
        }
        try eventually(20, "aiosmtpd to listen") { isListening(smtpPort) }

        let directory = temporaryPath("weekly-mail")
        let config = directory + ".yaml"
        try """
        incidents:
          notifications:
            channels:
              - { name: reports, type: email, smtp: "127.0.0.1:\(smtpPort)", from: "logq@example.com", to: [lead@example.com] }
            weekly_report: { email: reports, day: monday, at: "09:00", format: html }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = ServerProcess(dataDirectory: directory)
        try server.start(extraArguments: ["--config", config])
        defer { server.stop(signal: SIGKILL) }
        let sent = try runLogq(["report", "weekly", "--week", "2026-W48", "--email"], url: server.baseURL)
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stdout.contains("sent the review of 2026-W48 to lead@example.com"), "\(sent.stdout)")
        try eventually(20, "the email at the sink") {
            let text = (try? String(contentsOfFile: received, encoding: .utf8)) ?? ""
            return text.contains("Subject: logq weekly review 2026-W48")
                && text.contains("<h1>Weekly review 2026-W48</h1>")
        }
    }

    static func incidents(_ server: ServerProcess) throws -> [[String: Any]] {
        let result = try runLogq(["incident", "list", "-o", "json"], url: server.baseURL)
        guard result.status == 0 else { throw TestFailure("logq incident list failed: \(result.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
    }
}

/// A real Alertmanager on a free loopback port, sending every alert to one webhook at once.
final class AlertmanagerProcess {
    let process = Process()
    let baseURL: String

    init(webhook: String) throws {
        let directory = temporaryPath("alertmanager")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try """
        route:
          receiver: logq
          group_wait: 1s
          group_interval: 1s
          repeat_interval: 1h
        receivers:
          - name: logq
            webhook_configs:
              - url: \(webhook)
                send_resolved: true
        """.write(toFile: directory + "/alertmanager.yml", atomically: true, encoding: .utf8)
        let port = try freeTCPPort()
        baseURL = "http://127.0.0.1:\(port)"
        process.executableURL = URL(fileURLWithPath: IncidentFlowTests.alertmanager)
        process.arguments = [
            "--config.file=\(directory)/alertmanager.yml", "--storage.path=\(directory)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=",
        ]
        let log =
            FileHandle(forWritingAtPath: directory + "/log")
            ?? {
                _ = FileManager.default.createFile(atPath: directory + "/log", contents: nil)
                return FileHandle(forWritingAtPath: directory + "/log")!
            }()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try eventually(30, "Alertmanager to listen") { (try? httpGet(self.baseURL + "/-/ready"))?.status == 200 }
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
