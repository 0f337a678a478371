import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// API tokens with scopes, from the environment: every route but the probes needs one.
@Suite(.serialized) struct AuthTests {
    static let tokens = "q-secret-1:query,i-secret-2:ingest,a-secret-3:admin,qi-secret-4:query+ingest"

    @Test func everyRouteChecksItsScopeAndTheProbesStayOpen() throws {
        let directory = temporaryPath("auth")
        let server = ServerProcess(dataDirectory: directory)
        try server.start(environment: ["LOGQ_API_TOKENS": Self.tokens])
        defer { server.stop(signal: SIGKILL) }

        // (method, path, body, the scope it needs)
        let routes: [(String, String, String, String)] = [
            ("GET", "/api/v1/search?q=*", "", "query"), ("GET", "/api/v1/count?q=*", "", "query"),
            ("GET", "/api/v1/stats", "", "query"), ("GET", "/api/v1/alerts", "", "query"),
            ("GET", "/api/v1/incidents", "", "query"), ("GET", "/api/v1/retention", "", "query"),
            ("GET", "/api/v1/reports/weekly?week=2026-W48", "", "query"), ("GET", "/metrics", "", "query"),
            ("GET", "/", "", "query"),
            ("POST", "/api/v1/ingest", "{\"message\":\"authorized line\"}\n", "ingest"),
            ("POST", "/_bulk", "{\"index\":{}}\n{\"message\":\"bulk line\"}\n", "ingest"),
            ("POST", "/api/v1/flush", "", "admin"), ("POST", "/api/v1/retention/run", "", "admin"),
            ("POST", "/api/v1/incidents/1/ack", "{}", "admin"),
            ("POST", "/api/v1/alertmanager", "{\"alerts\":[]}", "admin"),
        ]
        let byScope = ["query": "q-secret-1", "ingest": "i-secret-2", "admin": "a-secret-3"]
        for (method, path, body, scope) in routes {
            let url = server.baseURL + path
            #expect(try Self.status(method, url, body, token: nil) == 401, "\(method) \(path) without a token")
            #expect(try Self.status(method, url, body, token: "not-a-token") == 401, "\(method) \(path) unknown token")
            let wrong = scope == "query" ? "i-secret-2" : "q-secret-1"
            #expect(try Self.status(method, url, body, token: wrong) == 403, "\(method) \(path) with the wrong scope")
            let allowed = try Self.status(method, url, body, token: byScope[scope])
            #expect(allowed != 401 && allowed != 403, "\(method) \(path) with \(scope): \(allowed)")
            #expect(try Self.status(method, url, body, token: "a-secret-3") != 403, "admin may do \(method) \(path)")
        }
        for probe in ["/healthz", "/readyz"] {
            #expect(try Self.status("GET", server.baseURL + probe, "", token: nil) == 200, "\(probe)")
        }
        let refused = try Self.request("GET", server.baseURL + "/api/v1/search?q=*", "", token: "i-secret-2")
        #expect(refused.body.contains("do not include query") && !refused.body.contains("secret"), "\(refused.body)")

        // The CLI sends LOGQ_TOKEN.
        let counted = try runLogq(["--count", "*"], url: server.baseURL, token: "qi-secret-4")
        #expect(
            counted.status == 0 && Int(counted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == 4,
            "two ingests and two bulks, each with its scope and with admin")
        let denied = try runLogq(["--count", "*"], url: server.baseURL)
        #expect(denied.status != 0 && denied.stderr.contains("requires a token"), "\(denied.stderr)")

        let metrics = try Self.request("GET", server.baseURL + "/metrics", "", token: "q-secret-1").body
        #expect(metrics.contains("logq_http_unauthorized_total "), "\(metrics)")
        #expect(!metrics.contains("logq_http_forbidden_total 0"), "the 403s are counted")
        #expect(!server.serverLog().contains("secret"), "no token in logqd's own log")
    }

    @Test func listeningBeyondLoopbackWithoutATokenIsRefusedAndBadSettingsAreNamed() throws {
        let directory = temporaryPath("exposed")
        let exposed = try run(
            Binaries.path("logqd"), ["--data", directory, "--http-addr", "0.0.0.0:0", "--check-config"])
        #expect(exposed.status != 0 && exposed.output.contains("without auth on HTTP"), "\(exposed.output)")
        let config = directory + ".yaml"
        try "auth:\n  tokens:\n    - { token: hunter2-secret, scopes: [query, superuser] }\n  allow: yes\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let bad = try run(Binaries.path("logqd"), ["--config", config, "--check-config"])
        #expect(bad.status != 0)
        #expect(
            bad.output.contains("auth.tokens[0]") && bad.output.contains("auth.allow: unknown key"), "\(bad.output)")
        #expect(!bad.output.contains("hunter2"), "a token is never echoed")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.path("logqd"))
        process.arguments = ["--data", directory, "--check-config"]
        process.environment = ["LOGQ_HTTP_ADDR": "nowhere", "LOGQ_API_TOKENS": "justatoken"]
        let output = Pipe()
        process.standardError = output
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(
            text.contains("LOGQ_HTTP_ADDR: must be HOST:PORT") && text.contains("LOGQ_API_TOKENS entry 1"), "\(text)")
        #expect(!text.contains("justatoken"))
    }

    static func status(_ method: String, _ url: String, _ body: String, token: String?) throws -> Int {
        try request(method, url, body, token: token).status
    }

    static func request(
        _ method: String, _ url: String, _ body: String, token: String?
    ) throws -> (status: Int, body: String) {
        var arguments = ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        if method == "POST" { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let result = try run("/usr/bin/curl", arguments + [url])
        guard let answer = curlAnswer(result.output) else { throw TestFailure("no answer from \(url)") }
        return answer
    }
}
