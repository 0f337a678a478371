import Foundation

/// `logq -f` against the bench's logqd, the query issue's live-tail figure: the time from sending a line
/// over TCP to the CLI printing it (target within 1 s).
enum FollowFigures {
    /// Lines the CLI printed, each with the time it was read.
    final class PrintedLines: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [(line: String, at: UInt64)] = []

        func add(_ line: String) {
            let now = DispatchTime.now().uptimeNanoseconds
            lock.withLock { seen.append((line, now)) }
        }

        func time(ofLineContaining marker: String) -> UInt64? {
            lock.withLock { seen.first { $0.line.contains(marker) }?.at }
        }
    }

    /// The median latency in milliseconds over `rounds` lines, or nil (with a message) when `logq` is not
    /// built next to `logqd`.
    static func measure(bin: String, server: BenchServer, rounds: Int = 5) throws -> Double? {
        let cli = bin + "/logq"
        guard FileManager.default.isExecutableFile(atPath: cli) else {
            Swift.print("live tail: skipped, \(cli) is not built")
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cli)
        process.arguments = ["--url", "http://127.0.0.1:\(server.httpPort)", "-f", "service:followprobe"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let printed = PrintedLines()
        let descriptor = output.fileHandleForReading.fileDescriptor
        let reader = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count <= 0 { return }
                pending += buffer[..<count]
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    printed.add(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
            }
        }
        reader.start()
        // The CLI first prints the backlog, then streams: give it time to connect.
        Thread.sleep(forTimeInterval: 2)
        var latencies: [Double] = []
        for round in 0..<rounds {
            let marker = "followprobe-\(round)-\(UInt32.random(in: 0...UInt32.max))"
            let line = #"{"service":"followprobe","level":"info","message":"\#(marker)"}"# + "\n"
            let sent = DispatchTime.now().uptimeNanoseconds
            try sendConcurrently(Array(line.utf8), connections: 1, port: server.tcpPort)
            let deadline = Date().addingTimeInterval(10)
            while printed.time(ofLineContaining: marker) == nil && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.002)
            }
            guard let shown = printed.time(ofLineContaining: marker) else {
                throw BenchError("logq -f did not show a line within 10 s of its ingest")
            }
            latencies.append(Double(shown - sent) / 1e6)
        }
        return median(latencies)
    }
}
