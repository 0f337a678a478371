import Foundation
import Testing

/// Retention and backups on a real logqd and the real logq CLI: expiry at start-up per class, a backup
/// taken while ingest runs and restored into a second logqd, and a backup killed midway.
@Suite(.serialized) struct RetentionBackupTests {
    static func ndjson(
        seq: ClosedRange<Int>, age days: Double = 0, level: String = "INFO", service: String = "order"
    )
        -> String
    {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return seq.map { index in
            let time = formatter.string(from: Date().addingTimeInterval(-days * 86_400 + Double(index) / 1000))
            let levelText = index % 7 == 0 ? "ERROR" : level
            return #"{"@timestamp":"\#(time)","level":"\#(levelText)","service":"\#(service)","seq":\#(index),"#
                + #""message":"request \#(index) served in \#(index % 89) ms for member \#(index % 17) marker-\#(index % 5)"}"#
        }.joined(separator: "\n") + "\n"
    }

    static func post(_ body: String, to server: ServerProcess) throws {
        try post(body, to: server.baseURL)
    }

    static func post(_ body: String, to baseURL: String) throws {
        let answer = try httpPost(baseURL + "/api/v1/ingest", body: body)
        guard answer.status == 200 else { throw TestFailure("ingest answered \(answer.status): \(answer.body)") }
    }

    static func startServer(_ folder: String, config: String) throws -> ServerProcess {
        let file = folder + ".yaml"
        try config.write(toFile: file, atomically: true, encoding: .utf8)
        let server = ServerProcess(dataDirectory: folder + "-data")
        try server.start(extraArguments: ["--config", file])
        return server
    }

    @Test func expiredClassesAreDeletedAtStartUpAndShown() throws {
        let folder = temporaryPath("retention")
        let config = """
            retention:
              default: 30d
              rules:
                - { match: 'level:debug OR level:trace', keep: 7d }
                - { match: 'service:payment', keep: 365d }
            """
        var server = try Self.startServer(folder, config: config)
        defer { server.stop(signal: SIGKILL) }
        // 40-day-old order records (past the default), 10-day-old debug (past 7d) and payment records
        // (kept a year), and today's debug records.
        try Self.post(Self.ndjson(seq: 1...300, age: 40), to: server)
        try Self.post(Self.ndjson(seq: 301...500, age: 10, level: "DEBUG"), to: server)
        try Self.post(Self.ndjson(seq: 501...700, age: 40, service: "payment"), to: server)
        try Self.post(Self.ndjson(seq: 701...800, level: "DEBUG"), to: server)
        _ = try httpPost(server.baseURL + "/api/v1/flush", body: "")
        #expect(try count("*", server) == 800)

        // The next start enforces the policy before anything else.
        server.stop()
        server = ServerProcess(dataDirectory: folder + "-data")
        try server.start(extraArguments: ["--config", folder + ".yaml"])
        // Every seventh record is an error (class c0): those of the 10-day-old batch stay (29 of them).
        try eventually(30, "retention at start-up") { try count("*", server) == 200 + 100 + 29 }
        #expect(try count("service:payment", server) == 200)
        #expect(try count("level:debug", server) == 100 - 100 / 7)
        #expect(try count("service:order level:info", server) == 0)
        #expect(server.serverLog().contains("retention deleted a segment"))
        #expect(!server.serverLog().contains("served in"))

        let shown = try runLogq(["retention", "show"], url: server.baseURL)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("level:debug OR level:trace"))
        #expect(shown.stdout.contains("service:payment"))
        #expect(shown.stdout.contains("365d"))
        #expect(shown.stdout.contains("deleted since start:"))
        let json = try runLogq(["retention", "show", "-o", "json"], url: server.baseURL)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let deleted = try #require(object["deleted"] as? [String: Any])
        #expect(deleted["records"] as? Int == 300 + 171)
        let metrics = try httpGet(server.baseURL + "/metrics").body
        #expect(metrics.contains("logq_retention_deleted_records_total 471"), "\(metrics)")
        #expect(metrics.contains("logq_store_quarantined_segments 0"))
    }

    @Test func aBackupTakenWhileIngestRunsRestoresToTheSnapshotPoint() async throws {
        let folder = temporaryPath("backup")
        let backups = folder + "-backups"
        let server = try Self.startServer(folder, config: "backup:\n  dir: \(backups)\n  at: \"03:00\"\n")
        defer { server.stop(signal: SIGKILL) }
        try Self.post(Self.ndjson(seq: 1...2000), to: server)

        // One sender posts numbered batches in order, acknowledged, while the backup is taken.
        let url = server.baseURL
        let sender = Task.detached { () throws -> Int in
            var next = 2001
            while !Task.isCancelled && next < 40_000 {
                try Self.post(Self.ndjson(seq: next...(next + 199)), to: url)
                next += 200
            }
            return next - 1
        }
        try await Task.sleep(for: .milliseconds(300))
        let taken = try runLogq(["backup", "now"], url: server.baseURL)
        #expect(taken.status == 0, "\(taken.stderr)")
        try await Task.sleep(for: .milliseconds(300))
        sender.cancel()
        let sent = try await sender.value
        #expect(try count("*", server) == sent)

        let metrics = try httpGet(server.baseURL + "/metrics").body
        #expect(metrics.contains("logq_backup_last_result 1"), "\(metrics)")
        #expect(metrics.contains("logq_backup_last_size_bytes "))
        #expect(metrics.contains("logq_backup_last_success_timestamp_seconds "))
        let listed = try runLogq(["backup", "list", "--dir", backups], url: nil)
        let id = try #require(listed.stdout.split(separator: "\n").dropFirst().first?.split(separator: " ").first)
        let verified = try runLogq(["backup", "verify", "--dir", backups, String(id)], url: nil)
        #expect(verified.status == 0 && verified.stdout.contains("intact"), "\(verified.stdout)\(verified.stderr)")
        let restoredDirectory = folder + "-restored"
        let restoredRun = try runLogq(
            ["backup", "restore", "--dir", backups, String(id), "--to", restoredDirectory], url: nil)
        #expect(restoredRun.status == 0, "\(restoredRun.stderr)")

        let restored = ServerProcess(dataDirectory: restoredDirectory)
        try restored.start()
        defer { restored.stop(signal: SIGKILL) }
        // A single ordered sender: the snapshot holds records 1…K for some K, with nothing missing.
        let snapshotCount = try count("*", restored)
        #expect(snapshotCount >= 2000 && snapshotCount <= sent)
        #expect(try count("seq:[1 TO \(snapshotCount)]", restored) == snapshotCount)
        for query in ["level:error", "marker-3", "service:order level:info", "\"served in 42 ms\"", "seq:>1500"] {
            let original = try count("(\(query)) seq:<=\(snapshotCount)", server)
            #expect(try count(query, restored) == original, "\(query)")
        }
    }

    @Test func aBackupKilledMidwayLeavesThePreviousOnesIntact() throws {
        let folder = temporaryPath("backup-crash")
        let backups = folder + "-backups"
        // 256 KiB/s: the second backup's few megabytes take seconds, time to kill it midway.
        let config = "backup:\n  dir: \(backups)\n  rate_limit: 256KiB/s\n"
        var server = try Self.startServer(folder, config: config)
        defer { server.stop(signal: SIGKILL) }
        try Self.post(Self.ndjson(seq: 1...200), to: server)
        let first = try runLogq(["backup", "now"], url: server.baseURL)
        #expect(first.status == 0, "\(first.stderr)")
        for start in stride(from: 201, to: 60_000, by: 5000) {
            try Self.post(Self.ndjson(seq: start...(start + 4999), age: 2), to: server)
        }
        // A child process, not a task: blocking waits in parallel tests can starve the cooperative pool.
        let second = Process()
        second.executableURL = URL(fileURLWithPath: Binaries.path("logq"))
        second.arguments = ["backup", "now", "--url", server.baseURL]
        second.standardOutput = FileHandle.nullDevice
        second.standardError = FileHandle.nullDevice
        try second.run()
        try eventually(180, "the second backup to start copying") {
            ((try? FileManager.default.contentsOfDirectory(atPath: backups + "/backups")) ?? []).contains {
                $0.hasPrefix(".partial-")
            }
        }
        Thread.sleep(forTimeInterval: 0.5)
        server.stop(signal: SIGKILL)
        second.waitUntilExit()

        let listed = try runLogq(["backup", "list", "--dir", backups], url: nil)
        #expect(listed.stdout.split(separator: "\n").count == 2, "only the first backup is complete: \(listed.stdout)")
        let verified = try runLogq(["backup", "verify", "--dir", backups], url: nil)
        #expect(verified.status == 0, "\(verified.stdout)")

        // Restarted, the next backup completes and clears what the killed one left.
        server = ServerProcess(dataDirectory: folder + "-data")
        try server.start(extraArguments: ["--config", folder + ".yaml"])
        let retry = try runLogq(["backup", "now"], url: server.baseURL)
        #expect(retry.status == 0, "\(retry.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: backups + "/backups")
        #expect(names.filter { !$0.hasPrefix(".") }.count == 2)
        #expect(!names.contains { $0.hasPrefix(".partial-") })
        let all = try runLogq(["backup", "verify", "--dir", backups], url: nil)
        #expect(all.status == 0 && all.stdout.components(separatedBy: "intact").count == 3, "\(all.stdout)")
    }

    @Test func aMissedDailyBackupIsTakenAtStartUp() throws {
        let folder = temporaryPath("backup-missed")
        let backups = folder + "-backups"
        var server = try Self.startServer(folder, config: "backup:\n  dir: \(backups)\n  at: \"02:00\"\n")
        defer { server.stop(signal: SIGKILL) }
        try Self.post(Self.ndjson(seq: 1...500), to: server)
        server.stop()
        let before = (try? FileManager.default.contentsOfDirectory(atPath: backups + "/backups")) ?? []
        #expect(before.isEmpty)

        // Data and no backup in the last day: the schedule counts a miss and takes one at once.
        server = ServerProcess(dataDirectory: folder + "-data")
        try server.start(extraArguments: ["--config", folder + ".yaml"])
        try eventually(30, "the catch-up backup") {
            let listed = try runLogq(["backup", "list", "--dir", backups], url: nil)
            return listed.stdout.split(separator: "\n").count == 2
        }
        let metrics = try httpGet(server.baseURL + "/metrics").body
        #expect(metrics.contains("logq_backup_missed_total 1"), "\(metrics)")
        #expect(server.serverLog().contains("the last scheduled backup was missed"))
        let status = try httpGet(server.baseURL + "/api/v1/backups").body
        #expect(status.contains("\"missed\":1"), "\(status)")
    }
}
