import Foundation
import Testing

/// The Beats protocol end to end: windows of Filebeat-shaped events, plain and zlib-compressed, each
/// acknowledged with its highest sequence number only once stored; sequences that keep counting across
/// windows (as pylogbeat does); and bad bytes closing only their own connection.
@Suite(.serialized) struct BeatsIngestTests {
    static func filebeatEvent(_ index: Int, window: Int) -> String {
        let level = index % 10 == 0 ? "error" : "info"
        return """
            {"@timestamp":"2026-11-23T09:41:\(String(format: "%02d", index % 60)).000Z","message":"order \(index) \
            in window \(window) beats-marker","log":{"level":"\(level)","file":{"path":"/var/log/order/order-service.log"},\
            "offset":\(index * 100)},"host":{"name":"order-01"},"agent":{"type":"filebeat","version":"8.11.0"},\
            "fields":{"env":"prod"},"input":{"type":"filestream"},"ecs":{"version":"8.0.0"}}
            """
    }

    @Test func windowsAreStoredThenAcknowledged() throws {
        let server = ServerProcess(dataDirectory: temporaryPath("beats"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }

        let client = try LumberjackClient(port: server.beatsPort)
        for window in 1...3 {
            let events = (0..<500).map { Self.filebeatEvent($0, window: window) }
            let last = try client.sendWindow(events, compressedFrom: window == 1 ? nil : 100)
            try client.awaitAck(last)
            // Acknowledged means stored: every event of the window is already searchable.
            #expect(try count("beats-marker \"window \(window)\"", server) == 500)
        }
        // Sequence numbers kept counting across windows; each ACK names the window's last one.
        #expect(client.acks.filter { $0 != 0 } == [500, 1000, 1500])

        #expect(try count("beats-marker", server) == 1500)
        #expect(try count("beats-marker service:order-service level:error host:order-01", server) == 150)
        #expect(try count("log.file.path:\"/var/log/order/order-service.log\" fields.env:prod", server) == 1500)
        #expect(try count("beats-marker source:beats", server) == 1500)
    }

    @Test func garbageClosesOnlyItsConnection() throws {
        let server = ServerProcess(dataDirectory: temporaryPath("beats-garbage"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }

        let bad = try LumberjackClient(port: server.beatsPort)
        try bad.write(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        #expect(throws: TestFailure.self) { try bad.awaitAck(1) }

        let bomb = try LumberjackClient(port: server.beatsPort)
        // A compressed frame that inflates past the 64 MiB limit.
        let zeros = try LumberjackClient.deflate([UInt8](repeating: 0, count: 80 << 20))
        try bomb.write(
            [UInt8(ascii: "2"), UInt8(ascii: "W")] + LumberjackClient.bigEndian(1) + [
                UInt8(ascii: "2"), UInt8(ascii: "C"),
            ]
                + LumberjackClient.bigEndian(UInt32(zeros.count)) + zeros)
        #expect(throws: TestFailure.self) { try bomb.awaitAck(1) }

        let good = try LumberjackClient(port: server.beatsPort)
        let last = try good.sendWindow([Self.filebeatEvent(1, window: 9)], compressedFrom: 0)
        try good.awaitAck(last)
        #expect(try count("beats-marker", server) == 1)
        #expect(server.process?.isRunning == true)
    }
}
