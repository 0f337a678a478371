import Foundation
import Testing

/// `logq --reverse` and `logq -f` (live tail) on the real binaries.
@Suite(.serialized) struct LiveTailTests {
    static func ingest(_ lines: [String], _ server: ServerProcess) throws {
        let answer = try httpPost(server.baseURL + "/api/v1/ingest", body: lines.joined(separator: "\n") + "\n")
        guard answer.status == 200 else { throw TestFailure("ingest answered \(answer.status): \(answer.body)") }
    }

    @Test func reverseGivesTheOldestFirst() throws {
        let server = ServerProcess(dataDirectory: temporaryPath("reverse"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }
        let lines = (0..<300).map { index in
            #"{"@timestamp":"2026-11-23T09:\#(String(format: "%02d", index / 60)):\#(String(format: "%02d", index % 60))Z","level":"INFO","service":"order","message":"step \#(index) ordered"}"#
        }
        try Self.ingest(Array(lines[..<150]), server)
        _ = try httpPost(server.baseURL + "/api/v1/flush", body: "")
        try Self.ingest(Array(lines[150...]), server)
        let oldest = try runLogq(["--reverse", "-l", "3", "-o", "raw", "ordered"], url: server.baseURL)
        #expect(oldest.stdout.split(separator: "\n") == ["step 0 ordered", "step 1 ordered", "step 2 ordered"])
        let newest = try runLogq(["-l", "2", "-o", "raw", "ordered"], url: server.baseURL)
        #expect(newest.stdout.split(separator: "\n") == ["step 299 ordered", "step 298 ordered"])
        let refused = try runLogq(["--reverse", "* | count"], url: server.baseURL)
        #expect(refused.status == 2)
    }

    @Test func followPrintsTheBacklogThenNewMatchesAsTheyArrive() async throws {
        let server = ServerProcess(dataDirectory: temporaryPath("follow"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }
        try Self.ingest(
            (0..<20).map {
                #"{"@timestamp":"2026-11-23T09:00:\#(String(format: "%02d", $0))Z","level":"ERROR","service":"order","message":"old failure \#($0)"}"#
            }, server)

        let output = temporaryPath("follow-out")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: Binaries.path("logq"))
        follower.arguments = ["-f", "-l", "3", "-o", "raw", "level:error service:order"]
        follower.environment = ProcessInfo.processInfo.environment.merging(["LOGQ_URL": server.baseURL]) { $1 }
        follower.standardOutput = FileHandle(forWritingAtPath: output)
        follower.standardError = FileHandle(forWritingAtPath: output)
        try follower.run()
        defer { if follower.isRunning { kill(follower.processIdentifier, SIGKILL) } }
        func shown() -> [String] {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        try eventually(30, "the backlog") { shown().count == 3 }
        #expect(shown() == ["old failure 17", "old failure 18", "old failure 19"])

        // New records: only the matching ones appear, in commit order, each once.
        for round in 0..<3 {
            let sent = Date()
            try Self.ingest(
                [
                    #"{"level":"ERROR","service":"order","message":"new failure \#(round)"}"#,
                    #"{"level":"INFO","service":"order","message":"new info \#(round)"}"#,
                    #"{"level":"ERROR","service":"member","message":"other failure \#(round)"}"#,
                ], server)
            try eventually(30, "round \(round) on the tail") { shown().last == "new failure \(round)" }
            print(
                "live tail: round \(round) shown \(String(format: "%.0f", Date().timeIntervalSince(sent) * 1000)) ms after its ingest"
            )
        }
        #expect(shown().count == 6)
        #expect(!shown().contains { $0.contains("info") || $0.contains("other") })

        // A graceful stop of the server ends the tail, and the follower with it.
        server.stop()
        try eventually(30, "the follower to end") { !follower.isRunning }
    }
}
