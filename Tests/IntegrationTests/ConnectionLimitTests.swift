import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Connection limits and per-listener counters: connections over the maximum are closed at once, idle
/// ones after the timeout, and `/api/v1/stats` says so per listener.
@Suite(.serialized) struct ConnectionLimitTests {
    @Test func overTheLimitAndIdleConnectionsAreClosedAndCounted() throws {
        let directory = temporaryPath("limits")
        let config = directory + ".yaml"
        try "limits:\n  max_connections: 2\n  idle_timeout_seconds: 1\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let server = ServerProcess(dataDirectory: directory)
        try server.start(extraArguments: ["--config", config])
        defer { server.stop(signal: SIGKILL) }

        let first = try connectLoopback(server.tcpPort)
        let second = try connectLoopback(server.tcpPort)
        defer {
            close(first)
            close(second)
        }
        try eventually(30, "two open connections") { try listener("tcp", server)["openConnections"] == 2 }
        let third = try connectLoopback(server.tcpPort)
        defer { close(third) }
        #expect(try closedByServer(third, within: 5), "the third connection is over the limit")
        // The two idle ones are closed after the 1 s timeout.
        #expect(try closedByServer(first, within: 10))
        #expect(try closedByServer(second, within: 10))

        // A connection's slot is freed once its task has ended, just after the close; a line sent before
        // that would be refused as over the limit, so wait for the slots first.
        try eventually(30, "no open connection") { try listener("tcp", server)["openConnections"] == 0 }
        try sendTCP(Array("one line\nanother line\n".utf8), port: server.tcpPort)
        try eventually(30, "counted lines, no open connection") {
            let counters = try listener("tcp", server)
            return counters["lines"] == 2 && counters["openConnections"] == 0
        }
        let counters = try listener("tcp", server)
        #expect(counters["rejectedConnections"] == 1)
        #expect(counters["idleClosedConnections"] == 2)
        #expect(counters["bytes"] == 22)
        #expect(counters["openConnections"] == 0)
    }

    private func listener(_ name: String, _ server: ServerProcess) throws -> [String: Int] {
        let stats = try httpGet(server.baseURL + "/api/v1/stats")
        let object = try JSONSerialization.jsonObject(with: Data(stats.body.utf8)) as? [String: Any]
        return (object?["listeners"] as? [String: [String: Int]])?[name] ?? [:]
    }

    /// Whether the server closes the connection (recv returns 0) within the time.
    private func closedByServer(_ descriptor: Int32, within seconds: Int) throws -> Bool {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, 0) == 0
    }
}
