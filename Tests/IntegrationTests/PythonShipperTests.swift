import Foundation
import Testing

/// Real Python shippers from PyPI (installed by `make test` into `.venv-test`): python-logstash's
/// `TCPLogstashHandler` (one JSON object per line to TCP 5170) and pylogbeat, the Beats client of
/// python-logstash-async (a compressed window, then it waits for the ACK of its last sequence number).
@Suite(.serialized) struct PythonShipperTests {
    static var python: String? {
        let path = Repository.root.appendingPathComponent(".venv-test/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            print("skipped: \(path) is missing; `make test` creates it (pip install -r Tests/requirements.txt)")
            return nil
        }
        return path
    }

    @Test func pythonLogstashTCPHandler() throws {
        guard let python = Self.python else { return }
        let server = ServerProcess(dataDirectory: temporaryPath("python-logstash"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }
        let script = """
            import logging, logstash, time
            logger = logging.getLogger("recommender.api")
            logger.setLevel(logging.INFO)
            logger.addHandler(logstash.TCPLogstashHandler("127.0.0.1", \(server.tcpPort), version=1))
            for index in range(100):
                if index % 4 == 0:
                    logger.error("inference timeout %d pylogstash-marker", index, extra={"model": "v2", "latency_ms": 5000})
                else:
                    logger.info("recommendation %d pylogstash-marker", index, extra={"model": "v2", "latency_ms": 40})
            time.sleep(0.5)
            """
        let result = try run(python, ["-c", script])
        #expect(result.status == 0, "\(result.output)")
        try eventually(30, "100 records") { try count("pylogstash-marker", server) == 100 }
        #expect(try count("pylogstash-marker level:error latency_ms:5000 model:v2", server) == 25)
        #expect(try count("pylogstash-marker level:info logger_name:recommender.api", server) == 75)
        #expect(try count("_parse_error:*", server) == 0)
    }

    @Test func pylogbeatBeatsClient() throws {
        guard let python = Self.python else { return }
        let server = ServerProcess(dataDirectory: temporaryPath("pylogbeat"))
        try server.start()
        defer { server.stop(signal: SIGKILL) }
        // Three windows on one connection: pylogbeat keeps counting sequence numbers across them and
        // waits each time for the ACK of its last one; send() returns only after it.
        let script = """
            from pylogbeat import PyLogBeatClient
            with PyLogBeatClient("127.0.0.1", \(server.beatsPort), timeout=30) as client:
                for window in range(3):
                    client.send([
                        {"@timestamp": "2026-11-23T09:41:%02d.000Z" % (index % 60),
                         "message": "window %d event %d pylogbeat-marker" % (window, index),
                         "level": "warn" if index % 10 == 0 else "info", "service": "ai-forecast",
                         "host": {"name": "ai-01"}}
                        for index in range(200)])
            print("acknowledged")
            """
        let result = try run(python, ["-c", script])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("acknowledged"))
        // send() returned after each ACK, and logqd ACKs only what is durable: everything is there now.
        #expect(try count("pylogbeat-marker", server) == 600)
        #expect(try count("pylogbeat-marker service:ai-forecast level:warn host:ai-01", server) == 60)
    }
}
