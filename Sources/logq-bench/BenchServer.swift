import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A fresh release logqd for one benchmark run, on ephemeral loopback ports.
struct BenchServer {
    let process: Process
    let httpPort: Int
    let tcpPort: Int
    let syslogPort: Int

    static func start(
        bin: String, work: String, dataDirectory: String? = nil, extraArguments: [String] = []
    ) throws -> BenchServer {
        let readyFile = work + "/ready.json"
        try? FileManager.default.removeItem(atPath: readyFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bin + "/logqd")
        process.arguments =
            [
                "--data", dataDirectory ?? work + "/data", "--http-addr", "127.0.0.1:0", "--tcp-addr", "127.0.0.1:0",
                "--syslog-addr", "127.0.0.1:0", "--beats-addr", "127.0.0.1:0", "--ready-file",
                readyFile,
                "--log-level", "warning",
            ] + extraArguments
        try process.run()
        for _ in 0..<600 {
            if let data = FileManager.default.contents(atPath: readyFile),
                let ports = try? JSONSerialization.jsonObject(with: data) as? [String: Int]
            {
                return BenchServer(
                    process: process, httpPort: ports["http_port"]!, tcpPort: ports["tcp_port"]!,
                    syslogPort: ports["syslog_tcp_port"]!)
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        process.terminate()
        throw BenchError("logqd did not start; is \(bin)/logqd built in release mode?")
    }

    /// The server's peak resident memory so far (VmHWM), in MB.
    func peakResidentMegabytes() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes / 1024
    }

    /// User plus system CPU seconds logqd has used so far, all threads (from /proc, in clock ticks).
    func cpuSeconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let afterName = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the name start at field 3 (state); utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: afterName)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Waits until logqd has used less than 0.1 CPU-seconds over a second (its background merges are
    /// done), at most `limit` seconds; returns the seconds waited. Query figures are for a settled store:
    /// a merge running beside a query takes one of the two cores.
    func waitUntilIdle(limit: Double = 300) -> Double {
        let started = Date()
        var previous = cpuSeconds() ?? 0
        while Date().timeIntervalSince(started) < limit {
            Thread.sleep(forTimeInterval: 1)
            let now = cpuSeconds() ?? 0
            if now - previous < 0.1 { break }
            previous = now
        }
        return Date().timeIntervalSince(started)
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    func get(_ path: String, query: String, limit: Int?) async throws -> Data {
        var components = URLComponents(string: "http://127.0.0.1:\(httpPort)\(path)")!
        components.queryItems =
            [URLQueryItem(name: "q", value: query)]
            + (limit.map { [URLQueryItem(name: "limit", value: String($0))] } ?? [])
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        let (data, response) = try await URLSession.shared.data(from: components.url!)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw BenchError("\(path)?q=\(query) answered \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    func post(_ path: String) async throws {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(httpPort)\(path)")!)
        request.httpMethod = "POST"
        request.timeoutInterval = 600
        _ = try await URLSession.shared.data(for: request)
    }

    struct Statistics: Decodable {
        var segmentBytes: Int
        var indexBytes: Int
        var segmentRecords: Int
        var memtableRecords: Int
    }

    /// Waits until the store holds `expected` records, from its statistics: cheap to ask, unlike a count
    /// that would scan the memtable every time and slow down what is measured.
    func waitForStoredRecords(_ expected: Int) async throws {
        for _ in 0..<2_400 {
            let statistics = try await statistics()
            if statistics.segmentRecords + statistics.memtableRecords >= expected { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("logqd did not store all \(expected) records within 4 minutes")
    }

    func statistics() async throws -> Statistics {
        let (data, _) = try await URLSession.shared.data(
            from: URL(string: "http://127.0.0.1:\(httpPort)/api/v1/stats")!)
        return try JSONDecoder().decode(Statistics.self, from: data)
    }

    func waitForCount(_ expected: Int, query: String = "*") async throws {
        for _ in 0..<12_000 {
            let data = try await get("/api/v1/count", query: query, limit: nil)
            if (try? JSONSerialization.jsonObject(with: data) as? [String: Int])?["count"] == expected { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchError("logqd did not store all \(expected) lines within 4 minutes")
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Splits the corpus at line boundaries and sends the parts on parallel connections.
func sendConcurrently(_ bytes: [UInt8], connections: Int, port: Int) throws {
    var cuts = [0]
    for part in 1..<connections {
        let target = bytes.count * part / connections
        cuts.append((bytes[target...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count - 1) + 1)
    }
    cuts.append(bytes.count)
    let parts = (0..<connections).map { Array(bytes[cuts[$0]..<cuts[$0 + 1]]) }
    let failures = NSLock()
    nonisolated(unsafe) var failure: String?
    DispatchQueue.concurrentPerform(iterations: connections) { index in
        if let error = send(parts[index], port: port) {
            failures.lock()
            failure = error
            failures.unlock()
        }
    }
    if let failure { throw BenchError(failure) }
}

private func send(_ bytes: [UInt8], port: Int) -> String? {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else { return "connect: errno \(errno)" }
    var sent = 0
    while sent < bytes.count {
        let result = bytes.withUnsafeBytes {
            send(descriptor, $0.baseAddress! + sent, min($0.count - sent, 1 << 20), Int32(MSG_NOSIGNAL))
        }
        guard result > 0 else { return "send: errno \(errno)" }
        sent += result
    }
    shutdown(descriptor, Int32(SHUT_WR))
    var buffer = [UInt8](repeating: 0, count: 256)
    while recv(descriptor, &buffer, buffer.count, 0) > 0 {}
    return nil
}
