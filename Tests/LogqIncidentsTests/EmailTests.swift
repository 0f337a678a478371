import Foundation
import LogqIncidents
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Email through a real local SMTP sink (aiosmtpd from PyPI, in `.venv-test`), with a clock the test moves.
@Suite(.serialized) struct EmailTests {
    @Test func aCriticalIncidentIsEmailedAndAFailedRelayIsRetried() async throws {
        guard let sink = try SMTPSink.start() else { return }
        defer { sink.stop() }
        let clock = ManualClock()
        let (desk, id) = try await NotifierTests.deskWithIncident(severity: .critical, clock: clock)
        var policy = NotificationPolicy()
        policy.timeoutSeconds = 30
        let relay = NotificationPolicy.Email(
            host: "127.0.0.1", port: sink.port, from: "logq <logq@example.com>", to: ["ops@example.com"])
        let dead = NotificationPolicy.Email(
            host: "127.0.0.1", port: try SMTPSink.unusedPort(), from: "logq@example.com", to: ["lead@example.com"])
        policy.channels = [
            .init(name: "ops-mail", shape: .email, url: "smtp://relay", audience: "ops", email: relay),
            .init(name: "lead-mail", shape: .email, url: "smtp://dead", audience: "tech_lead", email: dead),
        ]
        let notifier = Notifier(policy: policy, desk: desk, clock: clock.function)
        await notifier.runDue()
        try await sink.waitFor("Subject: [CRITICAL] incident \(id)")
        let mail = sink.received()
        #expect(mail.contains("X-RcptTo: ops@example.com") || mail.contains("ops@example.com"))
        #expect(mail.contains("logq incident show \(id)"))
        clock.advance(seconds: 2)
        await notifier.runDue()
        let timeline = try await desk.incident(id).timeline
        #expect(timeline.contains { $0.kind == .notified && $0.actor == "ops-mail" && $0.text.contains("accepted") })
        let failures = timeline.filter { $0.kind == .notificationFailed && $0.actor == "lead-mail" }
        #expect(failures.count == 2, "the dead relay is tried, then retried: \(failures.map(\.text))")
        #expect(failures.first?.text.contains("SMTP connect failed") == true)
    }
}

/// `python -m aiosmtpd` printing every message it receives (its Debugging handler) to a file.
final class SMTPSink: Sendable {
    let port: Int
    private let process: Process
    private let output: String

    static func start() throws -> SMTPSink? {
        var root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            root = root.deletingLastPathComponent()
        }
        let python = root.appendingPathComponent(".venv-test/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            print("skipped: \(python) is missing (make test installs aiosmtpd into .venv-test)")
            return nil
        }
        return try SMTPSink(python: python)
    }

    static func unusedPort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private init(python: String) throws {
        port = try Self.unusedPort()
        output = temporaryDirectory("smtp") + "/received.txt"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-u", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)"]
        let handle = FileHandle(forWritingAtPath: output)!
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if Self.accepts(port) { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        stop()
        throw WebhookReceiver.ReceiverError(description: "aiosmtpd did not start: \(received())")
    }

    private static func accepts(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    func received() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }

    func waitFor(_ text: String) async throws {
        for _ in 0..<100 {
            if received().contains(text) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the SMTP sink never received '\(text)': \(received().suffix(2000))")
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
