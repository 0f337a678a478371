import Foundation
import LogqIncidents
import Testing

/// Notifications against a real local webhook receiver (a Python HTTP server this test starts), with a
/// clock the test moves: repeat intervals, stop on acknowledge, retries with backoff, secrets kept out.
@Suite(.serialized) struct NotifierTests {
    @Test func criticalRepeatsEveryFiveMinutesUntilAcknowledgedAndFailuresAreRetried() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let clock = ManualClock()
        let (desk, id) = try await Self.deskWithIncident(severity: .critical, clock: clock)
        var policy = NotificationPolicy()
        // Generous: a loaded machine must not turn a slow answer into a retry this test does not expect.
        policy.timeoutSeconds = 60
        policy.channels = [
            // The first two posts answer 500: the notice is retried after 2 s, then 4 s.
            .init(
                name: "ops-robot", shape: .wecom, url: receiver.url("/fail-first-2?key=SECRET-TOKEN"), audience: "ops"),
            .init(
                name: "lead-robot", shape: .dingtalk, url: receiver.url("/lead?access_token=SECRET2"),
                audience: "tech_lead"),
        ]
        let notifier = Notifier(policy: policy, desk: desk, clock: clock.function)

        await notifier.runDue()
        #expect(receiver.posts(path: "/lead").count == 1, "critical goes to the tech lead at once")
        #expect(receiver.posts(path: "/fail-first-2").count == 1)
        clock.advance(seconds: 2)
        await notifier.runDue()
        #expect(receiver.posts(path: "/fail-first-2").count == 2, "retried after 2 s")
        clock.advance(seconds: 3)
        await notifier.runDue()
        #expect(receiver.posts(path: "/fail-first-2").count == 2, "the next retry waits 4 s")
        clock.advance(seconds: 1)
        await notifier.runDue()
        #expect(receiver.posts(path: "/fail-first-2").count == 3, "third attempt succeeds")
        let wecom = try #require(receiver.posts(path: "/fail-first-2").last)
        #expect((wecom["msgtype"] as? String) == "markdown")
        #expect(((wecom["markdown"] as? [String: Any])?["content"] as? String)?.contains("CRITICAL") == true)

        // Repeats every 5 minutes until acknowledged.
        clock.advance(seconds: 290)
        await notifier.runDue()
        #expect(receiver.posts(path: "/lead").count == 1, "not yet 5 minutes")
        clock.advance(seconds: 10)
        await notifier.runDue()
        #expect(receiver.posts(path: "/lead").count == 2, "repeated after 5 minutes")
        _ = try await desk.acknowledge(id, by: "alice")
        clock.advance(seconds: 600)
        await notifier.runDue()
        #expect(receiver.posts(path: "/lead").count == 2, "acknowledged: no more repeats")

        let timeline = try await desk.incident(id).timeline
        let attempts = timeline.filter { $0.kind == .notified || $0.kind == .notificationFailed }
        #expect(timeline.filter { $0.kind == .notificationFailed }.count == 2)
        #expect(timeline.filter { $0.kind == .notified }.count == 4)
        #expect(attempts.allSatisfy { !$0.text.contains("SECRET") && !$0.actor.contains("SECRET") })
        #expect(timeline.contains { $0.kind == .acknowledged && $0.actor == "alice" })
    }

    @Test func warningRepeatsEveryFifteenMinutesInfoOnceAndAHangingChannelTimesOut() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let clock = ManualClock()
        var policy = NotificationPolicy()
        policy.timeoutSeconds = 60
        policy.channels = [
            .init(name: "ops", shape: .webhook, url: receiver.url("/ops"), audience: "ops"),
            .init(name: "lead", shape: .slack, url: receiver.url("/lead"), audience: "tech_lead"),
        ]
        let (warningDesk, _) = try await Self.deskWithIncident(severity: .warning, clock: clock)
        let notifier = Notifier(policy: policy, desk: warningDesk, clock: clock.function)
        await notifier.runDue()
        #expect(receiver.posts(path: "/ops").count == 1)
        #expect(receiver.posts(path: "/lead").isEmpty, "a warning goes to ops only")
        let generic = try #require(receiver.posts(path: "/ops").first)
        #expect((generic["event"] as? String) == "opened")
        #expect(((generic["incident"] as? [String: Any])?["severity"] as? String) == "warning")
        clock.advance(seconds: 14 * 60)
        await notifier.runDue()
        #expect(receiver.posts(path: "/ops").count == 1)
        clock.advance(seconds: 60)
        await notifier.runDue()
        #expect(receiver.posts(path: "/ops").count == 2, "repeated after 15 minutes")

        let (infoDesk, _) = try await Self.deskWithIncident(severity: .info, clock: clock)
        let once = Notifier(policy: policy, desk: infoDesk, clock: clock.function)
        let before = receiver.posts(path: "/ops").count
        await once.runDue()
        clock.advance(seconds: 3600)
        await once.runDue()
        #expect(receiver.posts(path: "/ops").count == before + 1, "info: once")

        // A channel that never answers fails at the timeout, and holds no other channel.
        var hanging = policy
        hanging.timeoutSeconds = 1
        hanging.attempts = 2
        hanging.channels = [.init(name: "slow", shape: .slack, url: receiver.url("/hang"), audience: "ops")]
        let (slowDesk, slowID) = try await Self.deskWithIncident(severity: .warning, clock: clock)
        await Notifier(policy: hanging, desk: slowDesk, clock: clock.function).runDue()
        let timeline = try await slowDesk.incident(slowID).timeline
        #expect(
            timeline.contains { $0.kind == .notificationFailed && $0.actor == "slow" && $0.text.contains("timed out") })
    }

    /// A desk whose policy opens incidents of every severity, holding one incident from one signal.
    static func deskWithIncident(severity: Severity, clock: ManualClock) async throws -> (IncidentDesk, Int64) {
        var policy = IncidentPolicy.defaults
        policy.openIncidentsFor = [.critical, .warning, .info]
        let database = try IncidentDatabase(path: temporaryDirectory("notify") + "/incidents.sqlite")
        let desk = IncidentDesk(policy: policy, database: database, clock: clock.function)
        let signal = SignalState(
            key: SignalKey(signal: "test", labels: ["service=order"]), phase: .firing, severity: severity,
            category: .application, rules: ["test"], summary: "a test signal", onset: clock.now, firedAt: clock.now,
            lastActive: clock.now, count: 1, value: 1, threshold: 0, services: ["order"], traceIDs: [], samples: [],
            statements: [:], query: "service:order", labels: [:])
        try await desk.take(signal)
        let incidents = try await desk.incidents()
        return (desk, try #require(incidents.first).id)
    }
}

/// A webhook receiver in a child Python process: records each POST's path and JSON body; `/fail-first-N`
/// answers 500 N times first, `/hang` never answers in time.
final class WebhookReceiver: Sendable {
    private let process: Process
    private let log: String
    let port: Int

    init() throws {
        let directory = temporaryDirectory("webhook")
        log = directory + "/posts.jsonl"
        let portFile = directory + "/port"
        let script = directory + "/receiver.py"
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, log, portFile]
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) {
                self.port = port
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw ReceiverError(description: "the webhook receiver did not start")
    }

    struct ReceiverError: Error, CustomStringConvertible { let description: String }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    func posts(path: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let posted = entry["path"] as? String, posted.hasPrefix(path),
                let body = entry["body"] as? String
            else { return nil }
            return try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        }
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    private static let script = #"""
        import http.server, json, sys, threading, time
        log, port_file = sys.argv[1], sys.argv[2]
        counts = {}
        lock = threading.Lock()
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                path = self.path.split("?")[0]
                with lock:
                    counts[path] = counts.get(path, 0) + 1
                    seen = counts[path]
                    with open(log, "a") as f:
                        f.write(json.dumps({"path": path, "body": body}) + "\n")
                if path == "/hang":
                    time.sleep(30)
                    return
                status = 200
                if path.startswith("/fail-first-") and seen <= int(path.rsplit("-", 1)[1]):
                    status = 500
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        with open(port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        import os
        os.rename(port_file + ".tmp", port_file)
        server.serve_forever()
        """#
}
