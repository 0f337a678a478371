import Foundation

/// A real `logqd` started on ephemeral loopback ports, stopped (by its own PID only) when the test ends.
final class ServerProcess {
    let dataDirectory: String
    private let readyFile: String
    private(set) var process: Process?
    private(set) var httpPort = 0
    private(set) var tcpPort = 0
    private(set) var syslogTCPPort = 0
    private(set) var syslogUDPPort = 0
    private(set) var beatsPort = 0
    let logFile: String

    var baseURL: String { "http://127.0.0.1:\(httpPort)" }

    init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
        readyFile = dataDirectory + ".ready.json"
        logFile = dataDirectory + ".log"
    }

    /// Starts logqd and waits until both listeners are bound.
    func start(extraArguments: [String] = [], environment: [String: String] = [:]) throws {
        try? FileManager.default.removeItem(atPath: readyFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.path("logqd"))
        process.arguments =
            [
                "--data", dataDirectory, "--http-addr", "127.0.0.1:0", "--tcp-addr", "127.0.0.1:0",
                "--syslog-addr", "127.0.0.1:0", "--beats-addr", "127.0.0.1:0", "--ready-file", readyFile,
            ] + extraArguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        if !FileManager.default.fileExists(atPath: logFile) {
            _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        }
        let log = FileHandle(forWritingAtPath: logFile)!
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let data = FileManager.default.contents(atPath: readyFile),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Int]
            {
                httpPort = object["http_port"] ?? 0
                tcpPort = object["tcp_port"] ?? 0
                syslogTCPPort = object["syslog_tcp_port"] ?? 0
                syslogUDPPort = object["syslog_udp_port"] ?? 0
                beatsPort = object["beats_port"] ?? 0
                return
            }
            guard process.isRunning else { throw TestFailure("logqd exited early:\n\(serverLog())") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestFailure("logqd did not become ready in 120 s:\n\(serverLog())")
    }

    /// SIGTERM (graceful: commits and flushes) or SIGKILL (a crash), then waits for the exit.
    func stop(signal: Int32 = SIGTERM) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        self.process = nil
    }

    func serverLog() -> String {
        (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
    }

    deinit { stop(signal: SIGKILL) }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum Binaries {
    /// The products sit beside the test bundle in the build directory.
    static func path(_ name: String) -> String {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return name
    }
}

/// What the real `logq` CLI printed and returned.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

func runLogq(_ arguments: [String], url: String?, token: String? = nil) throws -> CLIResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Binaries.path("logq"))
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["LOGQ_URL"] = url
    environment["LOGQ_TOKEN"] = token
    process.environment = environment
    let outFile = temporaryPath("stdout")
    let errFile = temporaryPath("stderr")
    _ = FileManager.default.createFile(atPath: outFile, contents: nil)
    _ = FileManager.default.createFile(atPath: errFile, contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: outFile)
        try? FileManager.default.removeItem(atPath: errFile)
    }
    // Files, not pipes: a large answer cannot block the child.
    process.standardOutput = FileHandle(forWritingAtPath: outFile)
    process.standardError = FileHandle(forWritingAtPath: errFile)
    try process.run()
    process.waitUntilExit()
    return CLIResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOfFile: outFile, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? "")
}

func temporaryPath(_ name: String) -> String {
    "/tmp/logq-it-\(getpid())-\(name)-\(UInt32.random(in: 0...UInt32.max))"
}

/// `logq --count QUERY` against a server, through the real CLI.
func count(_ query: String, _ server: ServerProcess) throws -> Int {
    let result = try runLogq(["--count", query], url: server.baseURL)
    guard result.status == 0, let value = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw TestFailure("logq --count '\(query)' failed (\(result.status)): \(result.stderr)")
    }
    return value
}
