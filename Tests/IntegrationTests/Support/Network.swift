import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection to a loopback port; the caller closes the descriptor.
func connectLoopback(_ port: Int) throws -> Int32 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw TestFailure("socket: errno \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else {
        close(descriptor)
        throw TestFailure("connect to 127.0.0.1:\(port): errno \(errno)")
    }
    return descriptor
}

/// Sends every byte on a connected socket.
func sendAll(_ descriptor: Int32, _ bytes: [UInt8]) throws {
    var sent = 0
    while sent < bytes.count {
        let result = bytes.withUnsafeBytes {
            send(descriptor, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
        }
        guard result > 0 else { throw TestFailure("send: errno \(errno)") }
        sent += result
    }
}

/// Sends bytes to a loopback TCP port, half-closes, and waits for the server to close its side.
func sendTCP(_ bytes: [UInt8], port: Int) throws {
    let descriptor = try connectLoopback(port)
    defer { close(descriptor) }
    try sendAll(descriptor, bytes)
    shutdown(descriptor, Int32(SHUT_WR))
    var buffer = [UInt8](repeating: 0, count: 256)
    while recv(descriptor, &buffer, buffer.count, 0) > 0 {}
}

/// GET over HTTP with curl, returning the status and body.
func httpGet(_ url: String) throws -> (status: Int, body: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["-s", "-o", "-", "-w", "\n%{http_code}", url]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard let answer = curlAnswer(String(decoding: data, as: UTF8.self)) else {
        throw TestFailure("no answer from \(url)")
    }
    return answer
}

/// What curl printed under `-o - -w "\n%{http_code}"`: the body, then the status on a last line of its own.
func curlAnswer(_ output: String) -> (status: Int, body: String)? {
    guard let split = output.lastIndex(of: "\n") else { return nil }
    return (Int(output[output.index(after: split)...]) ?? 0, String(output[..<split]))
}

/// Polls until `condition` holds, or fails after `seconds`.
func eventually(_ seconds: Double, _ what: String, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: 0.1)
    }
    throw TestFailure("timed out after \(seconds) s waiting for \(what)")
}

/// A loopback TCP port that was free a moment ago, for a client (rsyslog) that needs its own.
func freeTCPPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw TestFailure("socket: errno \(errno)") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
        }
    }
    guard bound else { throw TestFailure("bind: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether something accepts connections on a loopback port.
func isListening(_ port: Int) -> Bool {
    guard let descriptor = try? connectLoopback(port) else { return false }
    close(descriptor)
    return true
}

/// Runs a program to completion; its status and what it printed.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// POST a body over HTTP with curl, returning the status and body.
func httpPost(
    _ url: String, body: String, contentType: String = "application/x-ndjson"
) throws -> (
    status: Int, body: String
) {
    let file = temporaryPath("post-body")
    try body.write(toFile: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: file) }
    let result = try run(
        "/usr/bin/curl",
        [
            "-s", "-o", "-", "-w", "\n%{http_code}", "-H", "Content-Type: \(contentType)", "--data-binary", "@\(file)",
            url,
        ])
    guard let answer = curlAnswer(result.output) else { throw TestFailure("no answer from \(url)") }
    return answer
}
