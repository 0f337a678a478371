import LogqIndex

/// Frames syslog over TCP, detected per frame (RFC 6587): octet counting (`LEN SP MSG`, as rsyslog,
/// syslog-ng's `syslog()` and `logger --octet-count` send) or LF-terminated (non-transparent framing, as
/// `network()` and most senders of RFC 3164 do).
///
/// A frame is octet-counted when it starts with a length, a space and `<`; anything else runs to the next
/// LF. An octet-counted frame longer than the message limit keeps its first bytes and reports its size;
/// one that declares more than `maxDeclaredBytes` is not syslog, and closes the connection.
public struct SyslogFramer: StreamFramer {
    public let maxMessageBytes: Int
    public let maxDeclaredBytes: Int
    private var pending: [UInt8] = []
    /// Bytes of an over-long octet-counted frame still to be read past.
    private var skipping = 0
    private var lines: LineFramer
    private var inLine = false

    public init(maxMessageBytes: Int = StorageLimits.maxMessageBytes, maxDeclaredBytes: Int = 64 << 20) {
        self.maxMessageBytes = maxMessageBytes
        self.maxDeclaredBytes = maxDeclaredBytes
        lines = LineFramer(maxLineBytes: maxMessageBytes)
    }

    public mutating func feed(
        _ chunk: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer, Int) -> Void
    ) throws(FramingError) {
        if pending.isEmpty {
            let consumed = try frames(in: chunk, emit: emit)
            pending.append(contentsOf: chunk[consumed...])
        } else {
            pending.append(contentsOf: chunk)
            let buffered = pending
            let outcome = buffered.withUnsafeBytes { bytes in
                Result { () throws(FramingError) -> Int in try frames(in: bytes, emit: emit) }
            }
            pending.removeFirst(try outcome.get())
        }
    }

    public mutating func finish(emit: (UnsafeRawBufferPointer, Int) -> Void) {
        if inLine {
            lines.finish(emit: emit)
            inLine = false
        }
        guard !pending.isEmpty else { return }
        // A frame cut short by the sender: keep what came, and say how long it claimed to be.
        let bytes = pending
        bytes.withUnsafeBytes { buffer in
            if let (length, header) = Self.octetHeader(buffer) {
                let body = UnsafeRawBufferPointer(rebasing: buffer[header...])
                if !body.isEmpty { emit(body, max(length, body.count + 1)) }
            } else if buffer.contains(where: { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }) {
                emit(buffer, buffer.count)
            }
        }
        pending.removeAll()
    }

    /// Emits every complete frame of `data`; returns how many bytes it used.
    private mutating func frames(
        in data: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer, Int) -> Void
    ) throws(FramingError) -> Int {
        var position = 0
        while position < data.count {
            if skipping > 0 {
                let step = min(skipping, data.count - position)
                skipping -= step
                position += step
                continue
            }
            if inLine {
                // Inside an LF-framed message: the line framer takes bytes up to and including its LF.
                let rest = UnsafeRawBufferPointer(rebasing: data[position...])
                guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else {
                    lines.feedLines(rest, emit: emit)
                    return data.count
                }
                lines.feedLines(UnsafeRawBufferPointer(rebasing: rest[...newline]), emit: emit)
                inLine = false
                position += newline + 1
                continue
            }
            let byte = data[position]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == 0 {
                position += 1
                continue
            }
            let rest = UnsafeRawBufferPointer(rebasing: data[position...])
            switch Self.classify(rest) {
            case .needMore:
                return position
            case .lineFramed:
                inLine = true
            case .octetCounted(let length, let header):
                guard length <= maxDeclaredBytes else {
                    throw .frameTooLarge(declared: length, limit: maxDeclaredBytes)
                }
                let kept = min(length, maxMessageBytes)
                guard rest.count >= header + kept else { return position }
                emit(UnsafeRawBufferPointer(rebasing: rest[header..<(header + kept)]), length)
                position += header + kept
                skipping = length - kept
            }
        }
        return position
    }

    enum Frame: Equatable {
        case needMore
        case lineFramed
        case octetCounted(length: Int, header: Int)
    }

    /// `123 <…`: octet-counted. Digits not followed by a space and `<` begin an ordinary line.
    static func classify(_ bytes: UnsafeRawBufferPointer) -> Frame {
        var index = 0
        var length = 0
        while index < bytes.count, index < 10, bytes[index] &- UInt8(ascii: "0") < 10 {
            length = length * 10 + Int(bytes[index] &- UInt8(ascii: "0"))
            index += 1
        }
        guard index > 0, bytes[0] != UInt8(ascii: "0") else { return .lineFramed }
        guard index + 1 < bytes.count else { return index < 10 ? .needMore : .lineFramed }
        guard bytes[index] == UInt8(ascii: " "), bytes[index + 1] == UInt8(ascii: "<") else { return .lineFramed }
        return .octetCounted(length: length, header: index + 1)
    }

    static func octetHeader(_ bytes: UnsafeRawBufferPointer) -> (Int, Int)? {
        if case .octetCounted(let length, let header) = classify(bytes) { return (length, header) }
        return nil
    }
}
