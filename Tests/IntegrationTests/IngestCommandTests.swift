import Foundation
import LogqCorpus
import Testing

/// `logq ingest` on the platform's files in their native formats: detected, joined, parsed here and
/// stored by a real logqd, every event once with its service and level.
@Suite(.serialized) struct IngestCommandTests {
    @Test func nativeFilesAreDetectedParsedAndStored() throws {
        let server = ServerProcess(dataDirectory: temporaryPath("ingest-cli"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }

        let folder = temporaryPath("native")
        let countsFile = folder + ".counts.json"
        let generated = try runLogq(
            ["gen", "--seed", "5", "--count", "4000", "--format", "native", "--out", folder, "--counts", countsFile],
            url: nil)
        #expect(generated.status == 0, "\(generated.stderr)")
        let counts =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: countsFile)))
            as? [String: Any]
        let byServiceLevel = try #require(counts?["byServiceLevel"] as? [String: Int])
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { folder + "/" + $0 }

        let ingested = try runLogq(["ingest"] + files, url: server.baseURL)
        #expect(ingested.status == 0, "\(ingested.stderr)")
        #expect(ingested.stdout.contains("detected springboot"))
        #expect(ingested.stdout.contains("detected mysql-slow"))
        #expect(!ingested.stdout.contains("unparsed (kept whole); 0 stored"))

        for (key, expected) in byServiceLevel {
            let parts = key.split(separator: "/")
            #expect(try count("service:\(parts[0]) level:\(parts[1])", server) == expected, "\(key)")
        }
        #expect(try count("*", server) == counts?["total"] as? Int)
        #expect(try count("_parse_error:*", server) == 0)
        #expect(try count("service:mysql table:*", server) == byServiceLevel["mysql/warn"])
        #expect(try count("service:order exception:*", server) > 0)
    }

    @Test func ingestStraightIntoADataDirectoryThenServeIt() throws {
        let folder = temporaryPath("native-data")
        let countsFile = folder + ".counts.json"
        let generated = try runLogq(
            ["gen", "--seed", "9", "--count", "3000", "--format", "native", "--out", folder, "--counts", countsFile],
            url: nil)
        #expect(generated.status == 0, "\(generated.stderr)")
        let counts =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: countsFile)))
            as? [String: Any]
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { folder + "/" + $0 }
        let data = temporaryPath("ingest-data")

        // No server: the records go into the data directory, durably, and a logqd started on it serves them.
        let ingested = try runLogq(["ingest", "--data", data] + files, url: "http://127.0.0.1:9")
        #expect(ingested.status == 0, "\(ingested.stderr)")
        let server = ServerProcess(dataDirectory: data)
        try server.start()
        defer { server.stop(signal: SIGKILL) }
        #expect(try count("*", server) == counts?["total"] as? Int)
        #expect(try count("_parse_error:*", server) == 0)

        // While logqd has the directory open, a second writer is refused with the reason.
        let refused = try runLogq(["ingest", "--data", data, files[0]], url: nil)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("in use by another logqd"), "\(refused.stderr)")
        #expect(try count("*", server) == counts?["total"] as? Int)
    }
}
