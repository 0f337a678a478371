import Foundation
import Testing

/// logqd's own log: structured, free of secrets, optionally stored under `service:logqd`; and SIGHUP
/// applying a changed configuration file (tokens, log level), or refusing a broken one whole.
@Suite(.serialized) struct OwnLogsAndReloadTests {
    @Test func jsonLogsWithoutSecretsStoredUnderServiceLogqdAndTokensReloadedOnSIGHUP() throws {
        let work = temporaryPath("own-logs")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let config = work + "/logqd.yaml"
        func writeConfig(token: String, level: String = "info") throws {
            try """
            log: { format: json, level: \(level), self_ingest: true }
            auth:
              tokens:
                - { token: \(token), scopes: [admin] }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        }
        try writeConfig(token: "first-s3cret-token")
        let server = ServerProcess(dataDirectory: work + "/data")
        try server.start(extraArguments: ["--config", config], environment: ["LOGQ_API_TOKENS": "env-s3cret:query"])
        defer { server.stop(signal: SIGKILL) }
        func status(_ token: String?) throws -> Int {
            try AuthTests.status("GET", server.baseURL + "/api/v1/count?q=*", "", token: token)
        }
        #expect(try status("first-s3cret-token") == 200)
        #expect(try status("wrong-s3cret-guess") == 401)

        // SIGHUP with a new token in the file: the old one stops working, the environment's stays.
        try writeConfig(token: "second-s3cret-token", level: "debug")
        kill(server.process!.processIdentifier, SIGHUP)
        try eventually(30, "the reloaded tokens") { try status("second-s3cret-token") == 200 }
        #expect(try status("first-s3cret-token") == 401)
        #expect(try status("env-s3cret") == 200)

        // A broken file changes nothing and says why.
        try "auth: [not, a, mapping]\n".write(toFile: config, atomically: true, encoding: .utf8)
        kill(server.process!.processIdentifier, SIGHUP)
        try eventually(30, "the refused reload in the log") {
            server.serverLog().contains("configuration not reloaded")
        }
        #expect(try status("second-s3cret-token") == 200)
        let metrics = try AuthTests.request("GET", server.baseURL + "/metrics", "", token: "second-s3cret-token").body
        #expect(metrics.contains(#"logq_config_reloads_total{result="ok"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"logq_config_reloads_total{result="failed"} 1"#))

        // Every line is one JSON object with time, level, logger and msg; no token appears anywhere.
        let log = server.serverLog()
        let lines = log.split(separator: "\n")
        #expect(lines.count >= 5)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["msg"] is String && object?["level"] is String && object?["time"] is String, "\(line)")
        }
        #expect(!log.contains("s3cret"), "no token in logqd's own log")

        // The same lines are records under service:logqd, searchable like any other.
        let token = "second-s3cret-token"
        try eventually(30, "logqd's own lines stored") {
            let answer = try AuthTests.request(
                "GET", server.baseURL + "/api/v1/count?q=service:logqd%20reloaded", "", token: token)
            return answer.body.contains("\"count\":") && !answer.body.contains("\"count\":0")
        }
        let errors = try AuthTests.request(
            "GET", server.baseURL + "/api/v1/search?q=service:logqd%20level:error", "", token: token
        ).body
        #expect(errors.contains("configuration not reloaded") && !errors.contains("s3cret"), "\(errors)")
    }

    @Test func badLogAndTLSSettingsAreListedTogether() throws {
        let work = temporaryPath("bad-settings")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let config = work + "/logqd.yaml"
        try """
        log: { format: xml, level: loud, colour: yes }
        tls: { certificate: \(work)/missing.pem, key: \(work)/missing.key, listeners: [http, smtp] }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let checked = try run(Binaries.path("logqd"), ["--config", config, "--check-config"])
        #expect(checked.status != 0)
        for expected in [
            "log.format: logfmt, json or text", "log.level: one of", "log.colour: unknown key",
            "tls.listeners: a list among http, tcp, syslog, beats", "tls.certificate: cannot use \(work)/missing.pem",
        ] {
            #expect(checked.output.contains(expected), "\(expected) in \(checked.output)")
        }

        // Beyond loopback, the TCP listeners need client certificates even when HTTP has tokens.
        let exposed = Process()
        exposed.executableURL = URL(fileURLWithPath: Binaries.path("logqd"))
        exposed.arguments = ["--data", work + "/data", "--tcp-addr", "0.0.0.0:5170", "--check-config"]
        exposed.environment = ["LOGQ_API_TOKENS": "some-s3cret:admin"]
        let output = Pipe()
        exposed.standardOutput = output
        exposed.standardError = output
        try exposed.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        exposed.waitUntilExit()
        #expect(exposed.terminationStatus != 0 && text.contains("TCP lines on 0.0.0.0:5170"), "\(text)")
        #expect(!text.contains("s3cret"))
    }
}
