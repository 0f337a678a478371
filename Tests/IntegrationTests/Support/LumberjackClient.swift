import CZlib
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A Beats (Lumberjack v2) client, written from the protocol's reference implementation (go-lumber's
/// client): a window frame, then JSON frames, some inside a zlib-compressed frame; it reads ACKs until
/// the one for the window's last sequence number (ACK 0 is a keep-alive).
final class LumberjackClient {
    private let descriptor: Int32
    private var sequence: UInt32 = 0
    /// Every ACK received, keep-alives included.
    private(set) var acks: [UInt32] = []

    init(port: Int) throws {
        descriptor = try connectLoopback(port)
    }

    deinit { close(descriptor) }

    /// Sends one window; events from `compressedFrom` on go in one compressed frame. Returns the
    /// sequence number the window must be acknowledged with.
    @discardableResult
    func sendWindow(_ events: [String], compressedFrom: Int? = nil) throws -> UInt32 {
        var bytes: [UInt8] = [UInt8(ascii: "2"), UInt8(ascii: "W")] + Self.bigEndian(UInt32(events.count))
        var nested: [UInt8] = []
        for (index, event) in events.enumerated() {
            sequence += 1
            let frame =
                [UInt8(ascii: "2"), UInt8(ascii: "J")] + Self.bigEndian(sequence)
                + Self.bigEndian(UInt32(event.utf8.count)) + Array(event.utf8)
            if let compressedFrom, index >= compressedFrom { nested += frame } else { bytes += frame }
        }
        if !nested.isEmpty {
            let compressed = try Self.deflate(nested)
            bytes += [UInt8(ascii: "2"), UInt8(ascii: "C")] + Self.bigEndian(UInt32(compressed.count)) + compressed
        }
        try write(bytes)
        return sequence
    }

    func write(_ bytes: [UInt8]) throws { try sendAll(descriptor, bytes) }

    /// Reads ACK frames until one says `sequence`.
    func awaitAck(_ sequence: UInt32) throws {
        while acks.last != sequence {
            var frame = [UInt8](repeating: 0, count: 6)
            var read = 0
            while read < 6 {
                let result = frame.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress! + read, 6 - read, 0) }
                guard result > 0 else { throw TestFailure("the server closed the connection before ACK \(sequence)") }
                read += result
            }
            guard frame[0] == UInt8(ascii: "2"), frame[1] == UInt8(ascii: "A") else {
                throw TestFailure("not an ACK frame: \(frame)")
            }
            acks.append(UInt32(frame[2]) << 24 | UInt32(frame[3]) << 16 | UInt32(frame[4]) << 8 | UInt32(frame[5]))
        }
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func deflate(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        guard czlib_deflate_init(&stream, 3) == Z_OK else { throw TestFailure("deflateInit") }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
        var input = input
        let status = input.withUnsafeMutableBytes { source in
            output.withUnsafeMutableBytes { target -> Int32 in
                stream.next_in = source.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(target.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw TestFailure("deflate: \(status)") }
        return Array(output[..<Int(stream.total_out)])
    }
}
