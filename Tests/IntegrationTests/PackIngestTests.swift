import Foundation
import LogqCorpus
import Testing

/// A real logqd parsing TCP lines with a pattern pack (`tcp.parser`), and refusing a broken pattern file
/// at start-up with its file and line.
@Suite(.serialized) struct PackIngestTests {
    @Test func nginxLinesAreParsedIntoQueryableFields() throws {
        let directory = temporaryPath("pack-ingest")
        let config = directory + ".yaml"
        try "tcp:\n  address: 127.0.0.1:0\n  parser: nginx-access\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let server = ServerProcess(dataDirectory: directory)
        try server.start(extraArguments: ["--config", config])
        defer { server.stop(signal: SIGKILL) }

        var generator = CorpusGenerator(seed: 11)
        var counts = CorpusCounts()
        var bytes: [UInt8] = []
        while counts.total < 3_000 {
            let event = generator.next()
            guard event.kind == .nginxAccess else { continue }
            counts.add(event)
            bytes += Array(event.nativeText().utf8)
        }
        bytes += Array("this line is not an access log marker9\n".utf8)
        try sendTCP(bytes, port: server.tcpPort)

        try eventually(60, "every line stored") { try count("*", server) == 3_001 }
        for (status, expected) in counts.byStatus {
            #expect(try count("status:\(status)", server) == expected, "status \(status)")
        }
        #expect(try count("level:error", server) == counts.byServiceLevel["nginx/error"])
        #expect(try count("service:nginx request_time:>=5", server) > 0)
        #expect(try count("_parse_error:nginx-access marker9", server) == 1)
        let stats = try httpGet(server.baseURL + "/api/v1/stats")
        let object = try JSONSerialization.jsonObject(with: Data(stats.body.utf8)) as? [String: Any]
        let parsing = object?["parsing"] as? [String: Int]
        #expect(parsing?["parsed"] == 3_000)
        #expect(parsing?["unmatched"] == 1)
    }

    @Test func brokenPatternFileIsRefusedWithItsFileAndLine() throws {
        let directory = temporaryPath("bad-patterns")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "# ours\nGOOD [a-z]+\nBROKEN (unclosed\n".write(
            toFile: directory + "/site.grok", atomically: true, encoding: .utf8)
        let config = directory + ".yaml"
        try "parsers:\n  patterns: \(directory)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.path("logqd"))
        process.arguments = ["--config", config, "--check-config"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(output.contains("BROKEN (\(directory)/site.grok:3)"), "\(output)")
        #expect(output.contains("missing closing parenthesis"), "\(output)")
    }
}
