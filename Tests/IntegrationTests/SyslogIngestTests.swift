import Foundation
import Testing

/// Real syslog senders into a real logqd: util-linux `logger` (RFC 5424 octet-counted over TCP, RFC 3164
/// LF-framed over TCP, UDP) and rsyslog forwarding with `omfwd` (octet-counted RFC 5424, and LF-framed
/// in its traditional format). Each message must come out as exactly one record with the right fields.
@Suite(.serialized) struct SyslogIngestTests {
    @Test func loggerOverTCPAndUDP() throws {
        let server = ServerProcess(dataDirectory: temporaryPath("syslog-logger"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }
        let tcp = ["-n", "127.0.0.1", "-P", String(server.syslogTCPPort), "--tcp"]

        try expectRun(
            "/usr/bin/logger",
            tcp + [
                "--octet-count", "--rfc5424", "-t", "order-service", "-p", "local0.err", "--msgid", "PAY",
                "--sd-id", "order@32473", "--sd-param", "orderId=\"O12345678\"", "Payment failed marker-a",
            ])
        try expectRun(
            "/usr/bin/logger", tcp + ["--rfc3164", "-t", "nginx", "-p", "user.warning", "worker exited marker-b"])
        try expectRun(
            "/usr/bin/logger",
            [
                "-d", "-n", "127.0.0.1", "-P", String(server.syslogUDPPort), "--rfc5424", "-t", "ai-recommend",
                "-p", "user.info", "udp datagram marker-c",
            ])

        try eventually(30, "three syslog records") { try count("*", server) == 3 }
        #expect(try count("marker-a service:order-service level:error msgid:PAY severity:3 facility:16", server) == 1)
        #expect(try count("marker-a order@32473.orderId:O12345678", server) == 1)
        #expect(try count("marker-b service:nginx level:warn", server) == 1)
        #expect(try count("marker-c service:ai-recommend level:info", server) == 1)
        // The message is the text alone: no header, no trailing newline, no structured data.
        let record = try search("marker-a", server)
        #expect(record["message"] as? String == "Payment failed marker-a")
        #expect((record["host"] as? String)?.isEmpty == false)
        #expect(try count("_parse_error:*", server) == 0)
    }

    @Test func rsyslogForwardsOctetCountedAndLineFramed() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/rsyslogd") else {
            print("skipped: rsyslogd is not installed (make test installs it)")
            return
        }
        let server = ServerProcess(dataDirectory: temporaryPath("syslog-rsyslog"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }

        let work = temporaryPath("rsyslog")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let octetPort = try freeTCPPort()
        let linePort = try freeTCPPort()
        let config = """
            global(workDirectory="\(work)")
            module(load="imtcp")
            input(type="imtcp" address="127.0.0.1" port="\(octetPort)" ruleset="octet")
            input(type="imtcp" address="127.0.0.1" port="\(linePort)" ruleset="lines")
            ruleset(name="octet") {
              action(type="omfwd" target="127.0.0.1" port="\(server.syslogTCPPort)" protocol="tcp"
                     TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
            }
            ruleset(name="lines") {
              action(type="omfwd" target="127.0.0.1" port="\(server.syslogTCPPort)" protocol="tcp"
                     template="RSYSLOG_ForwardFormat")
            }
            """
        try config.write(toFile: work + "/rsyslog.conf", atomically: true, encoding: .utf8)
        let rsyslog = Process()
        rsyslog.executableURL = URL(fileURLWithPath: "/usr/sbin/rsyslogd")
        rsyslog.arguments = ["-n", "-f", work + "/rsyslog.conf", "-i", work + "/rsyslogd.pid"]
        rsyslog.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        rsyslog.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try rsyslog.run()
        defer {
            // SIGKILL: a child of the test process inherits its blocked signal mask, so rsyslogd would
            // never see a SIGTERM.
            kill(rsyslog.processIdentifier, SIGKILL)
            rsyslog.waitUntilExit()
        }
        try eventually(30, "rsyslog listening") { isListening(octetPort) && isListening(linePort) }

        for index in 1...20 {
            try expectRun(
                "/usr/bin/logger",
                [
                    "-n", "127.0.0.1", "-P", String(index % 2 == 0 ? octetPort : linePort), "--tcp", "-t", "member",
                    "-p", index % 5 == 0 ? "user.err" : "user.info", "login \(index) via rsyslog marker-r",
                ])
        }
        try eventually(60, "twenty forwarded records") { try count("marker-r", server) == 20 }
        #expect(try count("marker-r service:member level:error", server) == 4)
        #expect(try count("marker-r service:member level:info", server) == 16)
        for index in 1...20 { #expect(try count("\"login \(index) via rsyslog\"", server) == 1, "message \(index)") }
        #expect(try count("_parse_error:*", server) == 0)
    }

    /// syslog-ng 3.38 from Debian, unpacked by `make syslog-ng` (its package conflicts with rsyslog's).
    @Test func syslogNgForwardsIETFOctetCountedAndNetworkLineFramed() throws {
        let unpacked = Repository.root.path + "/.build/tools/syslog-ng"
        let binary = unpacked + "/usr/sbin/syslog-ng"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            print("skipped: syslog-ng is not unpacked at \(unpacked) (make test unpacks it)")
            return
        }
        let server = ServerProcess(dataDirectory: temporaryPath("syslog-syslog-ng"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }

        let work = temporaryPath("syslog-ng")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let ietfPort = try freeTCPPort()
        let networkPort = try freeTCPPort()
        // Two inputs, one per destination driver: syslog() sends RFC 5424 octet-counted frames (with the LF
        // inside the count), network() sends RFC 3164 lines ending in LF.
        let config = """
            @version: 3.38
            options { keep-hostname(yes); };
            source s_ietf { network(ip("127.0.0.1") port(\(ietfPort)) transport("tcp")); };
            source s_network { network(ip("127.0.0.1") port(\(networkPort)) transport("tcp")); };
            destination d_ietf { syslog("127.0.0.1" port(\(server.syslogTCPPort)) transport("tcp") persist-name("ietf")); };
            destination d_network {
              network("127.0.0.1" port(\(server.syslogTCPPort)) transport("tcp") persist-name("network"));
            };
            log { source(s_ietf); destination(d_ietf); };
            log { source(s_network); destination(d_network); };
            """
        try config.write(toFile: work + "/syslog-ng.conf", atomically: true, encoding: .utf8)
        let syslogNg = Process()
        syslogNg.executableURL = URL(fileURLWithPath: binary)
        syslogNg.arguments = [
            "-F", "-f", work + "/syslog-ng.conf", "-p", work + "/syslog-ng.pid", "-R", work + "/syslog-ng.persist",
            "-c", work + "/syslog-ng.ctl", "--no-caps", "--module-path=" + unpacked + "/usr/lib/syslog-ng/3.38",
        ]
        syslogNg.environment = ["LD_LIBRARY_PATH": unpacked + "/usr/lib/syslog-ng"]
        let errors = work + "/syslog-ng.stderr"
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        syslogNg.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        syslogNg.standardError = FileHandle(forWritingAtPath: errors)
        try syslogNg.run()
        defer {
            // SIGKILL, as for rsyslogd: a child of the test process inherits its blocked SIGTERM.
            kill(syslogNg.processIdentifier, SIGKILL)
            syslogNg.waitUntilExit()
        }
        try eventually(30, "syslog-ng listening") {
            guard syslogNg.isRunning else {
                throw TestFailure("syslog-ng exited: \((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")")
            }
            return isListening(ietfPort) && isListening(networkPort)
        }

        for index in 1...20 {
            try expectRun(
                "/usr/bin/logger",
                [
                    // RFC 3164, which syslog-ng's network() sources read by default.
                    "-n", "127.0.0.1", "-P", String(index % 2 == 0 ? ietfPort : networkPort), "--tcp", "--rfc3164",
                    "-t", "product",
                    "-p", index % 4 == 0 ? "user.warning" : "user.notice", "price \(index) via syslog-ng marker-s",
                ])
        }
        try eventually(60, "twenty forwarded records") { try count("marker-s", server) == 20 }
        #expect(try count("marker-s service:product level:warn", server) == 5)
        #expect(try count("marker-s service:product level:info", server) == 15)
        for index in 1...20 { #expect(try count("\"price \(index) via syslog-ng\"", server) == 1, "message \(index)") }
        // Each message exactly as sent: no LF of the octet-counted frames left on it, nothing cut.
        let record = try search("\"price 2 via syslog-ng\"", server)
        #expect(record["message"] as? String == "price 2 via syslog-ng marker-s")
        let legacy = try search("\"price 1 via syslog-ng\"", server)
        #expect(legacy["message"] as? String == "price 1 via syslog-ng marker-s")
        #expect(try count("_parse_error:*", server) == 0)
    }

    private func expectRun(_ executable: String, _ arguments: [String]) throws {
        let result = try run(executable, arguments)
        #expect(result.status == 0, "\(executable) \(arguments): \(result.output)")
    }

    private func search(_ query: String, _ server: ServerProcess) throws -> [String: Any] {
        let result = try runLogq(["-o", "json", query], url: server.baseURL)
        let line = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
        return try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
    }
}
