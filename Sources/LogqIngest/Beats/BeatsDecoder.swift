import CZlib

/// Reads the Beats protocol (Lumberjack v2) as Filebeat's `output.logstash` and python-logstash-async
/// speak it: `2W` window frames announce how many events follow; each event is a `2J` frame (sequence
/// number, JSON payload), possibly inside a `2C` frame (a zlib stream of nested frames). Follows the
/// protocol's reference implementation (go-lumber's server), not its prose document.
///
/// Events are handed over as they are read, so a huge window does not sit in memory; the window's end
/// is reported with its highest sequence number, which the listener acknowledges once durable.
public struct BeatsDecoder {
    public static let maxFrameBytes = 64 << 20
    public static let maxInflatedBytes = 64 << 20

    private var buffer: [UInt8] = []
    /// Events still expected in the current window; 0 while waiting for a window frame.
    private var remaining = 0
    private var highest: UInt32 = 0

    public init() {}

    public var bufferedBytes: Int { buffer.count }

    /// Decodes what `chunk` completes: `event(sequence, json)` per event, `windowDone(highest)` per window.
    public mutating func feed(
        _ chunk: UnsafeRawBufferPointer, event: (UInt32, UnsafeRawBufferPointer) -> Void,
        windowDone: (UInt32) -> Void
    ) throws(BeatsError) {
        buffer.append(contentsOf: chunk)
        let bytes = buffer
        let outcome = bytes.withUnsafeBytes { data in
            Result { () throws(BeatsError) -> Int in
                try frames(in: data, compressed: false, event: event, windowDone: windowDone)
            }
        }
        buffer.removeFirst(try outcome.get())
    }

    /// Reads whole frames from `data`; returns the bytes used. Inside a compressed frame every frame must
    /// be whole.
    private mutating func frames(
        in data: UnsafeRawBufferPointer, compressed: Bool, event: (UInt32, UnsafeRawBufferPointer) -> Void,
        windowDone: (UInt32) -> Void
    ) throws(BeatsError) -> Int {
        var position = 0
        while position < data.count {
            let available = data.count - position
            guard available >= 2 else { break }
            guard data[position] == UInt8(ascii: "2") else {
                throw data[position] == UInt8(ascii: "1") ? .unsupportedVersion : .notBeats(data[position])
            }
            switch data[position + 1] {
            case UInt8(ascii: "W"):
                guard available >= 6 else { break }
                remaining = Int(Self.uint32(data, position + 2))
                position += 6
                continue
            case UInt8(ascii: "J"):
                guard available >= 10 else { break }
                let sequence = Self.uint32(data, position + 2)
                let length = Int(Self.uint32(data, position + 6))
                guard length <= Self.maxFrameBytes else { throw .frameTooLarge(length) }
                guard available >= 10 + length else { break }
                guard remaining > 0 else { throw .eventOutsideWindow }
                event(sequence, UnsafeRawBufferPointer(rebasing: data[(position + 10)..<(position + 10 + length)]))
                highest = max(highest, sequence)
                position += 10 + length
                remaining -= 1
                if remaining == 0 { windowDone(highest) }
                continue
            case UInt8(ascii: "C"):
                guard available >= 6 else { break }
                let length = Int(Self.uint32(data, position + 2))
                guard length <= Self.maxFrameBytes else { throw .frameTooLarge(length) }
                guard available >= 6 + length else { break }
                let inflated = try Self.inflate(
                    UnsafeRawBufferPointer(rebasing: data[(position + 6)..<(position + 6 + length)]))
                let nestedOutcome = inflated.withUnsafeBytes { nested in
                    Result { () throws(BeatsError) -> Int in
                        try frames(in: nested, compressed: true, event: event, windowDone: windowDone)
                    }
                }
                let used = try nestedOutcome.get()
                guard used == inflated.count else { throw .truncatedCompressedFrame }
                position += 6 + length
                continue
            case let other:
                throw .unknownFrame(other)
            }
            break
        }
        if compressed, position < data.count { throw .truncatedCompressedFrame }
        return position
    }

    static func uint32(_ data: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(data[at]) << 24 | UInt32(data[at + 1]) << 16 | UInt32(data[at + 2]) << 8 | UInt32(data[at + 3])
    }

    /// A zlib stream, inflated up to `maxInflatedBytes`: beyond that it is a bomb, not a batch of logs.
    static func inflate(_ input: UnsafeRawBufferPointer) throws(BeatsError) -> [UInt8] {
        var stream = z_stream()
        guard czlib_inflate_init(&stream) == Z_OK else { throw .badCompressedFrame("inflateInit failed") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        while true {
            let status = chunk.withUnsafeMutableBytes { space -> Int32 in
                stream.next_out = space.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(space.count)
                return CZlib.inflate(&stream, Z_NO_FLUSH)
            }
            let produced = chunk.count - Int(stream.avail_out)
            output.append(contentsOf: chunk[..<produced])
            if output.count > maxInflatedBytes { throw .inflatesTooLarge(limit: maxInflatedBytes) }
            switch status {
            case Z_STREAM_END:
                return output
            case Z_OK:
                if stream.avail_in == 0 && produced == 0 { throw .badCompressedFrame("the zlib stream ends early") }
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw .badCompressedFrame("the zlib stream ends early")
            default:
                throw .badCompressedFrame("zlib error \(status)")
            }
        }
    }
}

/// Bytes that are not the Beats protocol: the connection is closed; what was acknowledged stays stored.
public enum BeatsError: Error, Equatable, CustomStringConvertible {
    case notBeats(UInt8)
    case unsupportedVersion
    case unknownFrame(UInt8)
    case frameTooLarge(Int)
    case eventOutsideWindow
    case badCompressedFrame(String)
    case truncatedCompressedFrame
    case inflatesTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .notBeats(let byte): return "not the Beats protocol (first byte \(byte), expected '2')"
        case .unsupportedVersion: return "Lumberjack v1 is not supported; use Beats (v2)"
        case .unknownFrame(let code): return "unknown Beats frame type \(code)"
        case .frameTooLarge(let length): return "a Beats frame of \(length) bytes is over the 64 MiB limit"
        case .eventOutsideWindow: return "an event frame came before any window frame"
        case .badCompressedFrame(let reason): return "a compressed Beats frame cannot be inflated: \(reason)"
        case .truncatedCompressedFrame: return "a compressed Beats frame ends inside a frame"
        case .inflatesTooLarge(let limit): return "a compressed Beats frame inflates past \(limit) bytes"
        }
    }
}
