import Foundation
import Testing

/// TLS on every listener with a test CA: HTTPS for the API, TLS with client certificates for TCP lines
/// (the TCP listeners' auth), RFC 5425 syslog from a real rsyslog, and the certificate swapped on SIGHUP.
@Suite(.serialized) struct TLSTests {
    @Test func httpsAndClientCertificatesOnTCPAndCertificateReloadOnSIGHUP() throws {
        let work = temporaryPath("tls")
        let certificates = try TestCertificates(directory: work + "/pki")
        let config = work + "/logqd.yaml"
        try """
        tls:
          certificate: \(certificates.serverCertificate)
          key: \(certificates.serverKey)
          client_ca: \(certificates.caFile)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = ServerProcess(dataDirectory: work + "/data")
        try server.start(extraArguments: ["--config", config])
        defer { server.stop(signal: SIGKILL) }
        let base = "https://127.0.0.1:\(server.httpPort)"
        func count(_ query: String) throws -> Int {
            let answer = try httpsRequest(
                "GET", base + "/api/v1/count?q=" + query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                caFile: certificates.caFile)
            guard answer.status == 200, let number = Int(answer.body.filter(\.isNumber)) else {
                throw TestFailure("count \(query): \(answer.status) \(answer.body)")
            }
            return number
        }

        // HTTPS with the test CA; plain HTTP is not spoken.
        let health = try httpsRequest("GET", base + "/healthz", caFile: certificates.caFile)
        #expect(health.status == 200 && health.body.hasPrefix("ok"), "\(health)")
        #expect(try httpGet("http://127.0.0.1:\(server.httpPort)/healthz").status != 200)
        let ingested = try httpsRequest(
            "POST", base + "/api/v1/ingest", caFile: certificates.caFile,
            body: #"{"message":"over https marker-h","service":"order"}"#)
        #expect(ingested.status == 200, "\(ingested.body)")

        // TCP lines: a client certificate from the CA is the sender's credential.
        try certificates.send(
            #"{"message":"with a certificate marker-c","service":"order"}"# + "\n", port: server.tcpPort,
            withClientCertificate: true)
        try certificates.send(
            #"{"message":"without a certificate marker-n","service":"order"}"# + "\n", port: server.tcpPort,
            withClientCertificate: false)
        try eventually(30, "the two accepted lines") { try count("marker-h OR marker-c") == 2 }
        #expect(try count("marker-n") == 0, "a sender without a certificate stores nothing")
        let metrics = try httpsRequest("GET", base + "/metrics", caFile: certificates.caFile).body
        #expect(metrics.contains(#"logq_ingest_protocol_errors_total{listener="tcp"} 1"#), "\(metrics)")
        #expect(
            try TestCertificates.presentedSubject(port: server.httpPort, caFile: certificates.caFile).contains(
                "server-one"))

        // SIGHUP: new connections get the new certificate, on HTTP and on the TCP listeners.
        try certificates.issue(name: "server", commonName: "server-two")
        kill(server.process!.processIdentifier, SIGHUP)
        try eventually(30, "the reloaded certificate") {
            try TestCertificates.presentedSubject(port: server.httpPort, caFile: certificates.caFile)
                .contains("server-two")
        }
        #expect(
            try TestCertificates.presentedSubject(port: server.tcpPort, caFile: certificates.caFile).contains(
                "server-two"))
        #expect(try httpsRequest("GET", base + "/healthz", caFile: certificates.caFile).status == 200)
        #expect(server.serverLog().contains("TLS certificate and key reloaded"))
    }

    @Test func beatsOverTLSIsAcknowledgedOnlyForAClientWithACertificate() throws {
        let work = temporaryPath("tls-beats")
        let certificates = try TestCertificates(directory: work + "/pki")
        let config = work + "/logqd.yaml"
        try """
        tls: { certificate: \(certificates.serverCertificate), key: \(certificates.serverKey), client_ca: \(certificates.caFile), listeners: [beats] }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = ServerProcess(dataDirectory: work + "/data")
        try server.start(extraArguments: ["--config", config])
        defer { server.stop(signal: SIGKILL) }
        // Python's ssl module as the Beats client: a window of two events, then the ACK for sequence 2.
        let client = work + "/beats_tls.py"
        try #"""
        import json, socket, ssl, struct, sys
        port, ca, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
        context = ssl.create_default_context(cafile=ca)
        if cert != "-":
            context.load_cert_chain(cert, key)
        try:
            with context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost") as s:
                frames = b"2W" + struct.pack(">I", 2)
                for seq in (1, 2):
                    event = json.dumps({"message": "beats over tls marker-%s %d" % (sys.argv[5], seq)}).encode()
                    frames += b"2J" + struct.pack(">II", seq, len(event)) + event
                s.sendall(frames)
                ack = s.recv(6)
                print("ACK", struct.unpack(">I", ack[2:6])[0] if len(ack) == 6 else "none")
        except (ssl.SSLError, OSError) as error:
            print("refused", error)
        """#.write(toFile: client, atomically: true, encoding: .utf8)
        let port = String(server.beatsPort)
        let accepted = try run(
            "/usr/bin/python3",
            [client, port, certificates.caFile, certificates.clientCertificate, certificates.clientKey, "good"])
        #expect(accepted.output.contains("ACK 2"), "\(accepted.output)")
        let refused = try run("/usr/bin/python3", [client, port, certificates.caFile, "-", "-", "bad"])
        #expect(!refused.output.contains("ACK 2"), "\(refused.output)")
        try eventually(30, "the acknowledged window") { try count("marker-good", server) == 2 }
        #expect(try count("marker-bad", server) == 0)
    }

    @Test func rsyslogSendsRFC5425SyslogOverTLSWithItsCertificate() throws {
        guard FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so") else {
            print("skipped: rsyslog's gtls driver is not installed (make test installs rsyslog-gnutls)")
            return
        }
        let work = temporaryPath("tls-rsyslog")
        let certificates = try TestCertificates(directory: work + "/pki")
        let config = work + "/logqd.yaml"
        try """
        tls: { certificate: \(certificates.serverCertificate), key: \(certificates.serverKey), client_ca: \(certificates.caFile), listeners: [syslog] }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = ServerProcess(dataDirectory: work + "/data")
        try server.start(extraArguments: ["--config", config])
        defer { server.stop(signal: SIGKILL) }

        let inputPort = try freeTCPPort()
        try """
        global(workDirectory="\(work)"
               DefaultNetstreamDriver="gtls"
               DefaultNetstreamDriverCAFile="\(certificates.caFile)"
               DefaultNetstreamDriverCertFile="\(certificates.clientCertificate)"
               DefaultNetstreamDriverKeyFile="\(certificates.clientKey)")
        module(load="imtcp")
        input(type="imtcp" address="127.0.0.1" port="\(inputPort)" ruleset="forward")
        ruleset(name="forward") {
          action(type="omfwd" target="127.0.0.1" port="\(server.syslogTCPPort)" protocol="tcp"
                 StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
                 StreamDriverPermittedPeers="localhost"
                 TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
        }
        """.write(toFile: work + "/rsyslog.conf", atomically: true, encoding: .utf8)
        let rsyslog = Process()
        rsyslog.executableURL = URL(fileURLWithPath: "/usr/sbin/rsyslogd")
        rsyslog.arguments = ["-n", "-f", work + "/rsyslog.conf", "-i", work + "/rsyslogd.pid"]
        let rsyslogLog = work + "/rsyslogd.log"
        _ = FileManager.default.createFile(atPath: rsyslogLog, contents: nil)
        rsyslog.standardOutput = FileHandle(forWritingAtPath: rsyslogLog)
        rsyslog.standardError = FileHandle(forWritingAtPath: rsyslogLog)
        try rsyslog.run()
        defer {
            // SIGKILL: a child of the test process inherits its blocked signal mask (see SyslogIngestTests).
            kill(rsyslog.processIdentifier, SIGKILL)
            rsyslog.waitUntilExit()
        }
        try eventually(60, "rsyslog's input port") { isListening(inputPort) }
        try run(
            "/usr/bin/logger",
            [
                "-n", "127.0.0.1", "-P", String(inputPort), "--tcp", "--octet-count", "--rfc5424", "-t", "inventory",
                "-p", "local0.err", "stock below zero marker-tls",
            ])
        try eventually(60, "the record rsyslog sent over TLS") {
            try count("marker-tls service:inventory level:error", server) == 1
        }
        #expect(
            !((try? String(contentsOfFile: rsyslogLog, encoding: .utf8)) ?? "").contains("error"),
            "rsyslog reported no TLS error")
    }
}
