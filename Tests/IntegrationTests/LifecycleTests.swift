import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Faults an operator meets: SIGTERM in the middle of heavy ingest, and a disk that fills up. Either way,
/// everything logqd acknowledged is stored exactly once, and logqd recovers by itself.
@Suite(.serialized) struct LifecycleTests {
    static let eventsPerBatch = 1000

    @Test func sigtermDuringHeavyIngestLosesNothingAcknowledged() throws {
        let server = ServerProcess(dataDirectory: temporaryPath("sigterm-load"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }
        let acknowledged = Mutex<[String]>([])
        let sent = Mutex<[String]>([])
        let stop = Atomic<Bool>(false)
        let beatsPort = server.beatsPort
        let ingestURL = server.baseURL + "/api/v1/ingest"
        let body = temporaryPath("sigterm-body")
        let senders = DispatchGroup()
        // Two Beats senders (acknowledged by ACK frames) and one HTTP sender (acknowledged by 200).
        for sender in 0..<2 {
            DispatchQueue.global().async(group: senders) {
                guard let client = try? LumberjackClient(port: beatsPort) else { return }
                var window = 0
                while !stop.load(ordering: .relaxed) {
                    let batch = "b\(sender)x\(window)"
                    sent.withLock { $0.append(batch) }
                    let events = (0..<Self.eventsPerBatch).map { index in
                        #"{"@timestamp":"2026-11-30T09:00:00Z","message":"load event \#(index)","batch":"\#(batch)","service":{"name":"order"}}"#
                    }
                    do {
                        let last = try client.sendWindow(events, compressedFrom: Self.eventsPerBatch / 2)
                        try client.awaitAck(last)
                    } catch {
                        return
                    }
                    acknowledged.withLock { $0.append(batch) }
                    window += 1
                }
            }
        }
        DispatchQueue.global().async(group: senders) {
            var request = 0
            while !stop.load(ordering: .relaxed) {
                let batch = "hx\(request)"
                let lines = (0..<Self.eventsPerBatch).map {
                    #"{"message":"load line \#($0)","batch":"\#(batch)","service":"member"}"#
                }
                guard
                    (try? (lines.joined(separator: "\n") + "\n").write(toFile: body, atomically: true, encoding: .utf8))
                        != nil
                else { return }
                sent.withLock { $0.append(batch) }
                let answer = try? run(
                    "/usr/bin/curl",
                    ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary", "@" + body, ingestURL])
                guard answer?.output == "200" else { return }
                acknowledged.withLock { $0.append(batch) }
                request += 1
            }
        }

        try eventually(120, "thirty acknowledged batches before the SIGTERM") {
            acknowledged.withLock { $0.count } >= 30
        }
        let started = Date()
        let process = server.process!
        kill(process.processIdentifier, SIGTERM)
        while process.isRunning && Date().timeIntervalSince(started) < 120 { Thread.sleep(forTimeInterval: 0.1) }
        let stopTime = Date().timeIntervalSince(started)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        stop.store(true, ordering: .relaxed)
        senders.wait()
        #expect(process.terminationStatus == 0, "logqd exits cleanly on SIGTERM:\n\(server.serverLog().suffix(2000))")
        #expect(stopTime < 60, "logqd stopped within its bound (took \(stopTime) s)")

        try server.start()
        let acked = Set(acknowledged.withLock { $0 })
        let stored = try Self.recordsPerBatch(server)
        for batch in sent.withLock({ $0 }) {
            if acked.contains(batch) {
                #expect(
                    stored[batch] == Self.eventsPerBatch,
                    "acknowledged batch \(batch) stored \(stored[batch] ?? 0) times")
            } else {
                #expect((stored[batch] ?? 0) <= Self.eventsPerBatch, "batch \(batch) is never stored twice")
            }
        }
    }

    @Test func aSecondLogqdOnTheSameDataDirectoryIsRefused() throws {
        let server = ServerProcess(dataDirectory: temporaryPath("second-instance"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }
        try sendTCP(Array("{\"message\":\"first instance\"}\n".utf8), port: server.tcpPort)
        let second = try run(
            Binaries.path("logqd"),
            [
                "--data", server.dataDirectory, "--http-addr", "127.0.0.1:0", "--tcp-addr", "127.0.0.1:0",
                "--syslog-addr", "off", "--beats-addr", "off",
            ])
        #expect(second.status != 0)
        #expect(second.output.contains("in use by another logqd"), "\(second.output)")
        try eventually(30, "the first instance still serving") { try count("first", server) == 1 }
    }

    /// `load | count by (batch)` in one query (spaces sent as `+`, as HTML forms and `curl --data-urlencode` send them).
    static func recordsPerBatch(_ server: ServerProcess) throws -> [String: Int] {
        let answer = try httpGet(server.baseURL + "/api/v1/stats?q=load+%7C+count+by+(batch)")
        guard answer.status == 200,
            let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any],
            let rows = object["rows"] as? [[Any]]
        else { throw TestFailure("count by batch: \(answer.status) \(answer.body)") }
        var counts: [String: Int] = [:]
        for row in rows {
            if let batch = row.first as? String, let count = row.last as? Int { counts[batch] = count }
        }
        return counts
    }

    @Test func aFullDiskRefusesWritesClearlyAndRecoversWhenSpaceReturns() throws {
        let mountPoint = temporaryPath("disk-full")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try run("/bin/mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", mountPoint])
        guard mounted.status == 0 else {
            print(
                "skipped: cannot mount a small tmpfs here (\(mounted.output)); issue 10's fault-injecting layer covers it"
            )
            return
        }
        defer { _ = try? run("/bin/umount", ["-l", mountPoint]) }
        let server = ServerProcess(dataDirectory: mountPoint + "/data")
        try server.start()
        defer { server.stop(signal: SIGKILL) }

        // Leave about 1.5 MB free: a few batches fit, then the WAL meets ENOSPC.
        var stats = statvfs()
        statvfs(mountPoint, &stats)
        let free = Int(stats.f_bavail) * Int(stats.f_frsize)
        let filler = mountPoint + "/filler"
        try run("/bin/sh", ["-c", "head -c \(max(0, free - 1_500_000)) /dev/zero > \(filler)"])

        var acknowledged: [String] = []
        var refused: [String] = []
        var refusal = ""
        let body = temporaryPath("disk-full-body")
        func send(_ batch: String) throws -> (status: Int, body: String) {
            let padding = String(repeating: "x", count: 200)
            let lines = (0..<Self.eventsPerBatch).map {
                #"{"message":"full \#(batch) line \#($0) \#(padding)","service":"order"}"#
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: body, atomically: true, encoding: .utf8)
            let result = try run(
                "/usr/bin/curl",
                [
                    "-s", "-o", "-", "-w", "\n%{http_code}", "--data-binary", "@" + body,
                    server.baseURL + "/api/v1/ingest",
                ])
            return curlAnswer(result.output) ?? (0, result.output)
        }
        for index in 0..<40 {
            let batch = "fb\(index)"
            let answer = try send(batch)
            if answer.status == 200 {
                acknowledged.append(batch)
            } else {
                refused.append(batch)
                refusal = answer.body
                break
            }
        }
        #expect(!refused.isEmpty, "the disk filled up")
        #expect(refusal.contains("No space left on device") && refusal.contains("send it again"), "\(refusal)")
        #expect(try httpGet(server.baseURL + "/healthz").status == 200, "logqd keeps running on a full disk")
        // …and reports it where operators look: its log (the stderr this test captures) and a metric.
        let metrics = try httpGet(server.baseURL + "/metrics").body
        let walErrors = metrics.split(separator: "\n").first { $0.hasPrefix(#"logq_store_errors_total{stage="wal"}"#) }
        #expect(walErrors.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0 >= 1, "\(walErrors ?? "absent")")
        #expect(server.process?.isRunning == true)

        // Space returns: writes are taken again without a restart.
        try FileManager.default.removeItem(atPath: filler)
        var recovered = 0
        try eventually(60, "a write taken once space returned") {
            recovered += 1
            let batch = "rb\(recovered)"
            if try send(batch).status == 200 {
                acknowledged.append(batch)
                return true
            }
            return false
        }
        #expect(try run("/usr/bin/curl", ["-s", "-f", "-X", "POST", server.baseURL + "/api/v1/flush"]).status == 0)
        func check() throws {
            for batch in acknowledged {
                #expect(try count(batch, server) == Self.eventsPerBatch, "acknowledged \(batch) is stored once")
            }
        }
        try check()
        // And it all survives a restart: nothing stored was damaged by the failed writes.
        server.stop(signal: SIGTERM)
        try server.start()
        try check()
        server.stop(signal: SIGTERM)
        let fsck = try run(Binaries.path("logq"), ["fsck", "--data", server.dataDirectory])
        #expect(fsck.status == 0, "\(fsck.output)")
    }
}
