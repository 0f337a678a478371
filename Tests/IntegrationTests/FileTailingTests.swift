import Foundation
import LogqCorpus
import Testing

/// Filebeat-style file tailing by a real logqd: rotation by rename and by copytruncate, inode reuse, a
/// pack with multi-line joining, and exactly-once delivery across `kill -9` restarts.
@Suite(.serialized) struct FileTailingTests {
    static func append(_ lines: [String], to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
        try handle.close()
    }

    static func lines(_ marker: String, _ count: Int) -> [String] {
        (0..<count).map { "line \($0) of \(marker) tail-marker" }
    }

    static func startServer(_ folder: String, extraConfig: String = "") throws -> ServerProcess {
        let config = folder + ".yaml"
        try """
        inputs:
          - type: file
            name: app
            paths: ["\(folder)/*.log"]
            service: app
            fields: {env: test}
          - type: file
            name: spring
            paths: ["\(folder)/spring/*.log"]
            parser: springboot
        \(extraConfig)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = ServerProcess(dataDirectory: folder + "-data")
        try server.start(extraArguments: ["--config", config])
        return server
    }

    @Test func followsRotationTruncationAndInodeReuse() throws {
        let folder = temporaryPath("tail")
        try FileManager.default.createDirectory(atPath: folder + "/spring", withIntermediateDirectories: true)
        let log = folder + "/app.log"
        try Self.append(Self.lines("first", 100), to: log)
        let server = try Self.startServer(folder)
        defer { server.stop(signal: SIGKILL) }
        try eventually(30, "the first 100 lines") { try count("tail-marker", server) == 100 }

        // Rename rotation: the last lines land in the old file just before it is renamed away.
        try Self.append(Self.lines("before-rename", 10), to: log)
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        try Self.append(Self.lines("after-rename", 30), to: log)
        try eventually(30, "lines around the rename") { try count("tail-marker", server) == 140 }

        // copytruncate: copied away, emptied in place, written again.
        try FileManager.default.copyItem(atPath: log, toPath: log + ".2")
        try FileHandle(forWritingAtPath: log)!.truncate(atOffset: 0)
        try Self.append(Self.lines("after-truncate", 20), to: log)
        try eventually(30, "lines after copytruncate") { try count("tail-marker", server) == 160 }

        // Inode reuse: a new file, probably on the same inode, with other first bytes.
        try FileManager.default.removeItem(atPath: log)
        try Self.append(Self.lines("new-inode", 15), to: log)
        try eventually(30, "lines of the new file") { try count("tail-marker", server) == 175 }

        for (marker, expected) in [
            ("first", 100), ("before-rename", 10), ("after-rename", 30), ("after-truncate", 20), ("new-inode", 15),
        ] {
            #expect(try count("tail-marker \"of \(marker)\"", server) == expected, "\(marker)")
        }
        #expect(try count("tail-marker service:app env:test log.offset:>0", server) == 175)

        // A pack with multi-line joining: each Spring Boot event, stack trace and all, is one record.
        var generator = CorpusGenerator(seed: 3)
        var events = 0
        var text = ""
        while events < 200 {
            let event = generator.next()
            guard event.kind == .springBoot else { continue }
            text += event.nativeText()
            events += 1
        }
        try Self.append(
            text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init),
            to: folder + "/spring/order.log")
        try eventually(30, "200 Spring Boot events") {
            try count("source:\"\(folder)/spring/order.log\"", server) == 200
        }
        #expect(try count("source:\"\(folder)/spring/order.log\" _parse_error:*", server) == 0)
        #expect(try count("source:\"\(folder)/spring/order.log\" service:order", server) == 200)
    }

    /// 30 rounds: the file grows and a Beats client sends a window, then logqd is killed at a random
    /// moment. Files: every line exactly once. Beats: every acknowledged event present.
    /// The files logqd (`pid`) holds open, by path.
    static func openFiles(of pid: Int32) -> [String] {
        let folder = "/proc/\(pid)/fd"
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/" + $0)
        }
    }

    @Test func inactiveFilesAreClosedAndReopenedWhenTheyGrow() throws {
        let folder = temporaryPath("tail-inactive")
        try FileManager.default.createDirectory(atPath: folder + "/spring", withIntermediateDirectories: true)
        let log = folder + "/app.log"
        try Self.append(Self.lines("first", 100), to: log)
        let config = folder + ".yaml"
        try """
        inputs:
          - type: file
            paths: ["\(folder)/*.log"]
            service: app
            close_inactive: 1s
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = ServerProcess(dataDirectory: folder + "-data")
        try server.start(extraArguments: ["--config", config])
        defer { server.stop(signal: SIGKILL) }
        let pid = try #require(server.process?.processIdentifier)
        try eventually(30, "the first 100 lines") { try count("tail-marker", server) == 100 }
        try eventually(30, "the idle file to be closed") { !Self.openFiles(of: pid).contains(log) }

        // It grows: reopened where it was left, nothing read twice; and closed again once idle.
        try Self.append(Self.lines("second", 50), to: log)
        try eventually(30, "the 50 new lines") { try count("tail-marker", server) == 150 }
        #expect(try count("second", server) == 50)
        try eventually(30, "closed again") { !Self.openFiles(of: pid).contains(log) }

        // Rotated while closed: the new file is read from its start. Lines written to the old file after a
        // rename to a name the globs do not match are not read (as with Filebeat's close_inactive): only a
        // file still open is followed through a rename.
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        try Self.append(Self.lines("fresh", 20), to: log)
        try eventually(30, "the new file") { try count("tail-marker", server) == 170 }
        #expect(try count("fresh", server) == 20)
        #expect(try count("first", server) == 100)
    }

    @Test func exactlyOnceAcrossKillNineRestarts() throws {
        let folder = temporaryPath("tail-crash")
        try FileManager.default.createDirectory(atPath: folder + "/spring", withIntermediateDirectories: true)
        let log = folder + "/app.log"
        var written = 0
        var acknowledged = 0
        var generator = SystemRandomNumberGenerator()
        for round in 0..<30 {
            let server = try Self.startServer(folder)
            let batch = Int.random(in: 50...400, using: &generator)
            try Self.append(Self.lines("round \(round)", batch), to: log)
            written += batch
            let client = try LumberjackClient(port: server.beatsPort)
            let events = (0..<50).map { #"{"message":"beats event \#($0) in round \#(round) crash-marker"}"# }
            let last = try client.sendWindow(events, compressedFrom: round % 2 == 0 ? 0 : nil)
            if Bool.random(using: &generator) {
                try client.awaitAck(last)
                acknowledged += 50
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.3, using: &generator))
            server.stop(signal: SIGKILL)
        }
        let server = try Self.startServer(folder)
        defer { server.stop(signal: SIGKILL) }
        try eventually(60, "every written line") { try count("tail-marker", server) >= written }
        Thread.sleep(forTimeInterval: 1)
        print("crash rounds: \(written) lines written, \(acknowledged) Beats events acknowledged")
        #expect(try count("tail-marker", server) == written, "each line exactly once")
        for round in 0..<30 { #expect(try count("tail-marker \"round \(round) \"", server) > 0) }
        #expect(try count("crash-marker", server) >= acknowledged, "every acknowledged Beats event is stored")
    }

    /// A file larger than one poll's budget is read with a batch in flight while the next is parsed: kills
    /// at random points of that reading still leave every line stored exactly once.
    @Test func exactlyOnceWhileABigFileIsReadWithBatchesInFlight() throws {
        let folder = temporaryPath("tail-big")
        try FileManager.default.createDirectory(atPath: folder + "/spring", withIntermediateDirectories: true)
        let log = folder + "/big.log"
        // ~45 MB: three polls' budgets of 16 MiB.
        let written = 400_000
        for part in 0..<8 {
            try Self.append(Self.lines("part \(part) " + String(repeating: "x", count: 60), written / 8), to: log)
        }
        var generator = SystemRandomNumberGenerator()
        var stored = 0
        for _ in 0..<3 {
            // Killed once a batch more is durable, while the next is parsed beside it (or committed).
            let server = try Self.startServer(folder)
            try eventually(120, "a batch more") { try count("tail-marker", server) > stored }
            stored = try count("tail-marker", server)
            Thread.sleep(forTimeInterval: Double.random(in: 0...1, using: &generator))
            server.stop(signal: SIGKILL)
            if stored >= written { break }
        }
        let server = try Self.startServer(folder)
        defer { server.stop(signal: SIGKILL) }
        try eventually(120, "every line of the big file") { try count("tail-marker", server) >= written }
        Thread.sleep(forTimeInterval: 1)
        #expect(try count("tail-marker", server) == written, "each line exactly once")
        for part in 0..<8 { #expect(try count("tail-marker \"part \(part) \"", server) == written / 8) }
    }
}
