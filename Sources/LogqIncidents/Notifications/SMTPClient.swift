import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An email to send: plain text or HTML, UTF-8.
public struct EmailMessage: Sendable, Equatable {
    public var from: String
    public var to: [String]
    public var subject: String
    public var body: String
    public var isHTML: Bool

    public init(from: String, to: [String], subject: String, body: String, isHTML: Bool = false) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.isHTML = isHTML
    }
}

/// Why a message was not accepted: the SMTP step and the server's reply (never the message itself).
public struct SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public var step: String
    public var reply: String
    public var description: String { "SMTP \(step) failed: \(reply)" }
}

/// A minimal SMTP client (RFC 5321) for the relay next to the server: EHLO, MAIL, RCPT, DATA, QUIT over
/// plain TCP, with a deadline on every read and write. No AUTH or STARTTLS: point it at a local relay
/// (Postfix, an internal smarthost) that does those.
public struct SMTPClient: Sendable {
    public var host: String
    public var port: Int
    public var timeoutSeconds: Double

    public init(host: String, port: Int, timeoutSeconds: Double = 10) {
        self.host = host
        self.port = port
        self.timeoutSeconds = timeoutSeconds
    }

    /// Sends on a thread of its own: the exchange blocks on the socket.
    public func send(_ message: EmailMessage) async throws(SMTPError) {
        let result: Result<Void, SMTPError> = await withCheckedContinuation { continuation in
            Thread {
                do throws(SMTPError) {
                    try sendBlocking(message)
                    continuation.resume(returning: .success(()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }.start()
        }
        try result.get()
    }

    func sendBlocking(_ message: EmailMessage) throws(SMTPError) {
        let socket = try connect()
        defer { close(socket) }
        var reader = ReplyReader(socket: socket)
        try reader.expect(220, step: "greeting")
        try command("EHLO logqd", socket)
        try reader.expect(250, step: "EHLO")
        try command("MAIL FROM:<\(Self.address(message.from))>", socket)
        try reader.expect(250, step: "MAIL FROM")
        for recipient in message.to {
            try command("RCPT TO:<\(Self.address(recipient))>", socket)
            try reader.expect(250, 251, step: "RCPT TO")
        }
        try command("DATA", socket)
        try reader.expect(354, step: "DATA")
        try write(Self.render(message), socket)
        try reader.expect(250, step: "end of data")
        try command("QUIT", socket)
        _ = try? reader.expect(221, step: "QUIT")
    }

    /// Headers and body, CRLF line ends, dot-stuffed, ending with the lone dot.
    static func render(_ message: EmailMessage, date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let subject =
            message.subject.allSatisfy(\.isASCII)
            ? message.subject : "=?UTF-8?B?" + Data(message.subject.utf8).base64EncodedString() + "?="
        var lines = [
            "From: \(message.from)", "To: \(message.to.joined(separator: ", "))", "Subject: \(subject)",
            "Date: \(formatter.string(from: date))", "MIME-Version: 1.0",
            "Content-Type: text/\(message.isHTML ? "html" : "plain"); charset=utf-8",
            "Content-Transfer-Encoding: 8bit", "",
        ]
        for line in message.body.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = String(line)
            if line.hasSuffix("\r") { line.removeLast() }
            lines.append(line.hasPrefix(".") ? "." + line : line)
        }
        return lines.joined(separator: "\r\n") + "\r\n.\r\n"
    }

    /// The address inside `Name <addr>`, refusing line breaks (no header or command injection).
    static func address(_ text: String) -> String {
        let inner =
            text.split(separator: "<").last.map { $0.split(separator: ">").first.map(String.init) ?? "" } ?? text
        return inner.filter { $0 != "\r" && $0 != "\n" && $0 != " " }
    }

    private func connect() throws(SMTPError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw SMTPError(step: "connect", reply: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        let socket = Glibc.socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard socket >= 0 else { throw SMTPError(step: "connect", reply: "no socket (errno \(errno))") }
        var timeout = timeval(
            tv_sec: Int(timeoutSeconds), tv_usec: Int((timeoutSeconds - timeoutSeconds.rounded(.down)) * 1e6))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard Glibc.connect(socket, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let code = errno
            close(socket)
            throw SMTPError(step: "connect", reply: "\(host):\(port) refused or unreachable (errno \(code))")
        }
        return socket
    }

    private func command(_ line: String, _ socket: Int32) throws(SMTPError) { try write(line + "\r\n", socket) }

    private func write(_ text: String, _ socket: Int32) throws(SMTPError) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let result = bytes.withUnsafeBytes {
                Glibc.send(socket, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
            }
            guard result > 0 else { throw SMTPError(step: "write", reply: "the connection broke (errno \(errno))") }
            sent += result
        }
    }

    /// Reads replies line by line; a multi-line reply (`250-…`) ends at the line with a space after its code.
    private struct ReplyReader {
        let socket: Int32
        var buffer: [UInt8] = []

        mutating func expect(_ codes: Int..., step: String) throws(SMTPError) {
            while true {
                let line = try readLine(step: step)
                guard line.count >= 3, let code = Int(line.prefix(3)) else {
                    throw SMTPError(step: step, reply: "not an SMTP reply: \(line.prefix(80))")
                }
                if line.count > 3 && line[line.index(line.startIndex, offsetBy: 3)] == "-" { continue }
                guard codes.contains(code) else { throw SMTPError(step: step, reply: String(line.prefix(200))) }
                return
            }
        }

        private mutating func readLine(step: String) throws(SMTPError) -> String {
            while true {
                if let newline = buffer.firstIndex(of: 10) {
                    var line = Array(buffer[..<newline])
                    buffer.removeFirst(newline + 1)
                    if line.last == 13 { line.removeLast() }
                    return String(decoding: line, as: UTF8.self)
                }
                var chunk = [UInt8](repeating: 0, count: 1024)
                let count = recv(socket, &chunk, chunk.count, 0)
                guard count > 0 else {
                    throw SMTPError(
                        step: step, reply: count == 0 ? "the server closed the connection" : "no reply in time")
                }
                buffer += chunk[..<count]
            }
        }
    }
}
