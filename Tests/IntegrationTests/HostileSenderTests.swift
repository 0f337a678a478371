import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Senders that try to exhaust logqd: many idle connections, a slowloris, a line that never ends, a zlib
/// bomb, a Beats window announced as a million events, a 1 GiB `_bulk` body. Each case is counted in a metric, other senders
/// keep being served, and logqd's resident memory stays under `memoryBoundMegabytes` (a debug build).
@Suite(.serialized) struct HostileSenderTests {
    static let memoryBoundMegabytes = 600

    @Test func aThousandIdleConnectionsAndASlowlorisLeaveOtherSendersServed() throws {
        let server = ServerProcess(dataDirectory: temporaryPath("idle-thousand"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }
        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        for _ in 0..<1000 { idle.append(try connectLoopback(server.tcpPort)) }
        // The slowloris: a byte every 20 ms of a line it never ends.
        let slow = try connectLoopback(server.tcpPort)
        defer { close(slow) }
        for _ in 0..<100 {
            _ = send(slow, "x", 1, Int32(MSG_NOSIGNAL))
            Thread.sleep(forTimeInterval: 0.02)
        }
        try sendTCP(Array("{\"message\":\"served despite the crowd\"}\n".utf8), port: server.tcpPort)
        try eventually(60, "the ordinary sender's line") { try count("served despite the crowd", server) == 1 }
        let metrics = OperationsTests.samples(try httpGet(server.baseURL + "/metrics").body)
        #expect((metrics[#"logq_ingest_open_connections{listener="tcp"}"#] ?? 0) >= 1001, "\(metrics)")
        #expect((metrics[#"logq_ingest_accepted_connections_total{listener="tcp"}"#] ?? 0) >= 1002)
        let resident = try Self.residentMegabytes(server)
        #expect(resident < Self.memoryBoundMegabytes, "logqd holds \(resident) MB with 1,001 open connections")
    }

    @Test func aLineThatNeverEndsIsStoredTruncatedInBoundedMemory() throws {
        let server = ServerProcess(dataDirectory: temporaryPath("endless-line"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }
        let descriptor = try connectLoopback(server.tcpPort)
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
        // 256 MiB of one line, then its end and an ordinary line on the same connection.
        for _ in 0..<256 { try sendAll(descriptor, chunk) }
        try sendAll(descriptor, Array("\n{\"message\":\"after the endless line\"}\n".utf8))
        shutdown(descriptor, Int32(SHUT_WR))
        var buffer = [UInt8](repeating: 0, count: 64)
        while recv(descriptor, &buffer, buffer.count, 0) > 0 {}
        close(descriptor)
        try eventually(60, "both records") { try count("*", server) == 2 }
        #expect(try count("_truncated:\(256 << 20)", server) == 1)
        #expect(try count("after the endless line", server) == 1)
        let metrics = OperationsTests.samples(try httpGet(server.baseURL + "/metrics").body)
        #expect(metrics[#"logq_ingest_truncated_lines_total{listener="tcp"}"#] == 1)
        let resident = try Self.residentMegabytes(server)
        #expect(resident < Self.memoryBoundMegabytes, "logqd holds \(resident) MB after a 256 MiB line")
    }

    @Test func aZlibBombClosesOnlyItsConnectionAndAHugeWindowStreams() throws {
        let server = ServerProcess(dataDirectory: temporaryPath("beats-hostile"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }

        // A 256 MiB event inside one compressed frame (about 250 KB on the wire; the bound is 64 MiB).
        let bomb = try LumberjackClient(port: server.beatsPort)
        let event = Array(#"{"message":"#.utf8) + [UInt8](repeating: UInt8(ascii: " "), count: 256 << 20)
        var frames: [UInt8] = [UInt8(ascii: "2"), UInt8(ascii: "W")] + LumberjackClient.bigEndian(1)
        let nested =
            [UInt8(ascii: "2"), UInt8(ascii: "J")] + LumberjackClient.bigEndian(1)
            + LumberjackClient.bigEndian(UInt32(event.count)) + event
        let compressed = try LumberjackClient.deflate(nested)
        frames +=
            [UInt8(ascii: "2"), UInt8(ascii: "C")] + LumberjackClient.bigEndian(UInt32(compressed.count)) + compressed
        try? bomb.write(frames)
        #expect(throws: (any Error).self) { try bomb.awaitAck(1) }

        // A window announced as 1,000,000 events: what arrives is stored in batches as it comes.
        let huge = try LumberjackClient(port: server.beatsPort)
        var header: [UInt8] = [UInt8(ascii: "2"), UInt8(ascii: "W")] + LumberjackClient.bigEndian(1_000_000)
        var sequence: UInt32 = 0
        for _ in 0..<20 {
            var batch = header
            header = []
            for _ in 0..<5_000 {
                sequence += 1
                let json = Array(#"{"message":"part of a huge window \#(sequence)"}"#.utf8)
                batch +=
                    [UInt8(ascii: "2"), UInt8(ascii: "J")] + LumberjackClient.bigEndian(sequence)
                    + LumberjackClient.bigEndian(UInt32(json.count)) + json
            }
            try huge.write(batch)
        }

        // An ordinary sender is still served meanwhile.
        let ordinary = try LumberjackClient(port: server.beatsPort)
        try ordinary.awaitAck(try ordinary.sendWindow([#"{"message":"ordinary window"}"#]))
        // Stored in batches of 5,000 as they arrive; the last partial batch waits for more of the window.
        try eventually(120, "the huge window's events stored as they came") {
            try count("huge", server) >= 100_000 - 5_000
        }
        #expect(try count("huge", server) <= 100_000)
        let metrics = OperationsTests.samples(try httpGet(server.baseURL + "/metrics").body)
        #expect(metrics[#"logq_ingest_protocol_errors_total{listener="beats"}"#] == 1, "the bomb is counted")
        #expect(try count("ordinary", server) == 1)
        let resident = try Self.residentMegabytes(server)
        #expect(resident < Self.memoryBoundMegabytes, "logqd holds \(resident) MB after a bomb and a huge window")
    }

    @Test func aGigabyteBulkBodyIsRefusedInBoundedMemoryAndWhatWasStoredIsSaid() throws {
        let server = ServerProcess(dataDirectory: temporaryPath("bulk-gigabyte"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }
        let url = server.baseURL + "/_bulk"
        func answer(_ output: String) -> (status: Int, body: String) { curlAnswer(output) ?? (0, output) }
        let curl = "curl -s -o - -w '\\n%{http_code}' -X POST -H 'Expect:' -H 'Content-Type: application/x-ndjson'"

        // 1 GiB with its length declared (a sparse file): refused before a byte of it is read.
        let body = temporaryPath("bulk-gigabyte-body")
        try run("/usr/bin/truncate", ["-s", "1G", body])
        defer { try? FileManager.default.removeItem(atPath: body) }
        let declared = answer(try run("/bin/sh", ["-c", "\(curl) -T \(body) \(url)"]).output)
        #expect(declared.status == 413, "\(declared)")
        #expect(declared.body.contains("declares 1073741824 bytes; nothing in it was stored"), "\(declared.body)")

        // 1 GiB of real documents sent chunked, without a length: stopped at the limit, and the answer says
        // how many documents at its start were stored, which is exactly what the store holds.
        let generator = """
            import sys
            block = "".join('{"index":{}}\\n{"message":"gigabyte document %d %s","service":"bulk"}\\n' % (i, "x" * 150)
                            for i in range(1000)).encode()
            try:
                for _ in range((1 << 30) // len(block) + 1):
                    sys.stdout.buffer.write(block)
            except (BrokenPipeError, OSError):
                pass
            """
        let script = temporaryPath("bulk-gigabyte.py")
        try generator.write(toFile: script, atomically: true, encoding: .utf8)
        let chunked = answer(
            try run("/bin/sh", ["-c", "python3 \(script) | \(curl) -H 'Transfer-Encoding: chunked' -T - \(url)"]).output
        )
        #expect(chunked.status == 413, "\(chunked)")
        let storedCount = chunked.body.split(separator: " ").firstIndex(of: "first").flatMap { position in
            Int(chunked.body.split(separator: " ")[position + 1])
        }
        let announced = try #require(storedCount, "\(chunked.body)")
        #expect(announced > 0)
        #expect(try count("gigabyte", server) == announced)

        // An ordinary bulk request is served as before.
        let ordinary = temporaryPath("bulk-ordinary")
        try "{\"index\":{}}\n{\"message\":\"ordinary bulk after the giant\"}\n".write(
            toFile: ordinary, atomically: true, encoding: .utf8)
        let served = answer(try run("/bin/sh", ["-c", "\(curl) --data-binary @\(ordinary) \(url)"]).output)
        #expect(served.status == 200, "\(served)")
        #expect(try count("ordinary", server) == 1)
        let metrics = OperationsTests.samples(try httpGet(server.baseURL + "/metrics").body)
        #expect(metrics[#"logq_ingest_protocol_errors_total{listener="bulk"}"#] == 2, "both bodies are counted")
        #expect((metrics[#"logq_ingest_lines_total{listener="bulk"}"#] ?? 0) == Double(announced + 1))
        let resident = try Self.residentMegabytes(server)
        #expect(resident < Self.memoryBoundMegabytes, "logqd holds \(resident) MB after a 1 GiB bulk body")
    }

    /// logqd's peak resident set (VmHWM), in MB.
    static func residentMegabytes(_ server: ServerProcess) throws -> Int {
        guard let pid = server.process?.processIdentifier else { throw TestFailure("logqd is not running") }
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { throw TestFailure("no VmHWM in /proc/\(pid)/status") }
        print("logqd peak resident memory: \(kilobytes / 1024) MB")
        return kilobytes / 1024
    }
}
