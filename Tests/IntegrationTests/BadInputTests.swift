import Foundation
import Testing

/// Bad input gets a clear error, and nothing is lost.
@Suite(.serialized) struct BadInputTests {
    @Test func oddLinesAreStoredWithMarkersAndNeverCrashTheServer() throws {
        let server = ServerProcess(dataDirectory: temporaryPath("badinput"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }

        var bytes: [UInt8] = Array("first plain line\n\n   \r\n".utf8)
        bytes += Array("invalid ".utf8) + [0xC3, 0x28, 0xFF] + Array(" utf8 marker1\n".utf8)
        bytes += Array(repeating: UInt8(ascii: "x"), count: 3 << 20) + Array(" overlong\n".utf8)
        bytes += Array("{\"broken json marker2\n".utf8)
        bytes += Array("crlf line marker3\r\n".utf8)
        bytes += Array("last line without newline marker4".utf8)
        try sendTCP(bytes, port: server.tcpPort)

        try eventually(60, "six records") { try count("*", server) == 6 }
        #expect(try count("_invalid_utf8:1 marker1", server) == 1)
        #expect(try count("_truncated:\(3 << 20 + 9)", server) == 1)
        #expect(try count("marker2", server) == 1)
        #expect(try count("_parse_error:\"line starts with { but is not a JSON object\"", server) == 1)
        #expect(try count("marker3", server) == 1)
        #expect(try count("marker4", server) == 1)
        let health = try httpGet(server.baseURL + "/healthz")
        #expect(health.status == 200)
    }

    @Test func badQueriesGetPositionFromAPIAndCaretFromCLI() throws {
        let server = ServerProcess(dataDirectory: temporaryPath("badquery"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }

        let api = try httpGet(server.baseURL + "/api/v1/search?q=level:error%20%22open")
        #expect(api.status == 400)
        let object = try JSONSerialization.jsonObject(with: Data(api.body.utf8)) as? [String: [String: Any]]
        #expect(object?["error"]?["position"] as? Int == 12)
        #expect(object?["error"]?["message"] as? String == "unterminated quote")
        #expect(try httpGet(server.baseURL + "/api/v1/search").status == 400)
        #expect(try httpGet(server.baseURL + "/api/v1/search?q=*&limit=0").status == 400)

        let cli = try runLogq(["level:error \"open"], url: server.baseURL)
        #expect(cli.status == 2)
        #expect(cli.stderr.contains("level:error \"open\n            ^ unterminated quote"))
    }

    @Test func cliSaysClearlyWhenNoServerAnswers() throws {
        // Port 9 (discard) has no listener on these machines.
        let cli = try runLogq(["level:error"], url: "http://127.0.0.1:9")
        #expect(cli.status == 3)
        #expect(cli.stderr.contains("no logqd answers at http://127.0.0.1:9"))
    }
}
