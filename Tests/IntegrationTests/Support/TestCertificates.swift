import Foundation

/// A throwaway CA with server and client certificates, made with the openssl command-line tool.
struct TestCertificates {
    let directory: String
    var caFile: String { directory + "/ca.pem" }
    var serverCertificate: String { directory + "/server.pem" }
    var serverKey: String { directory + "/server.key" }
    var clientCertificate: String { directory + "/client.pem" }
    var clientKey: String { directory + "/client.key" }

    init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/ca.key", "-out", caFile,
            "-days", "2", "-subj", "/CN=logq test CA",
        ])
        try issue(name: "server", commonName: "server-one")
        try issue(name: "client", commonName: "order-service shipper")
    }

    /// Signs a certificate for `name` (`name.pem`, `name.key`), valid for localhost and 127.0.0.1.
    func issue(name: String, commonName: String) throws {
        let base = directory + "/" + name
        try openssl([
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", base + ".key", "-out", base + ".csr", "-subj",
            "/CN=\(commonName)",
        ])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(
            toFile: base + ".ext", atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", base + ".csr", "-CA", caFile, "-CAkey", directory + "/ca.key", "-CAcreateserial",
            "-out", base + ".pem", "-days", "2", "-extfile", base + ".ext",
        ])
    }

    private func openssl(_ arguments: [String]) throws {
        let result = try run("/usr/bin/openssl", arguments)
        guard result.status == 0 else { throw TestFailure("openssl \(arguments[0]) failed: \(result.output)") }
    }

    /// The subject of the certificate a TLS server presents.
    static func presentedSubject(port: Int, caFile: String) throws -> String {
        let result = try run(
            "/bin/sh",
            [
                "-c",
                "openssl s_client -connect 127.0.0.1:\(port) -CAfile \(caFile) </dev/null 2>/dev/null "
                    + "| openssl x509 -noout -subject",
            ])
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Sends `text` over TLS with `openssl s_client`, presenting the client certificate when asked.
    @discardableResult
    func send(_ text: String, port: Int, withClientCertificate: Bool) throws -> String {
        let input = directory + "/input-\(UInt32.random(in: 0...UInt32.max)).txt"
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: input) }
        let certificate = withClientCertificate ? "-cert \(clientCertificate) -key \(clientKey) " : ""
        return try run(
            "/bin/sh",
            [
                "-c",
                "timeout 30 openssl s_client -connect 127.0.0.1:\(port) -CAfile \(caFile) \(certificate)"
                    + "-quiet -no_ign_eof < \(input) 2>&1",
            ]
        ).output
    }
}

/// An HTTPS request with curl trusting only `caFile`: the status and body.
func httpsRequest(
    _ method: String, _ url: String, caFile: String, body: String? = nil
) throws -> (status: Int, body: String) {
    var arguments = ["-s", "--cacert", caFile, "-o", "-", "-w", "\n%{http_code}", "-X", method]
    if let body { arguments += ["--data-binary", body] }
    let result = try run("/usr/bin/curl", arguments + [url])
    guard let answer = curlAnswer(result.output) else { throw TestFailure("no answer from \(url)") }
    return answer
}
