/// Cuts a byte stream into messages, whatever the chunk boundaries. `emit(message, originalLength)`:
/// a message longer than the limit keeps its first bytes and reports its full length.
public protocol StreamFramer {
    mutating func feed(
        _ chunk: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer, Int) -> Void) throws(FramingError)
    /// The sender closed the connection: what is left is still a message.
    mutating func finish(emit: (UnsafeRawBufferPointer, Int) -> Void)
}

/// Bytes that cannot be framed: the connection is closed, the messages before it are kept.
public enum FramingError: Error, Equatable, CustomStringConvertible {
    case frameTooLarge(declared: Int, limit: Int)

    public var description: String {
        switch self {
        case .frameTooLarge(let declared, let limit):
            return "an octet-counted frame declares \(declared) bytes, over the limit of \(limit): not syslog"
        }
    }
}

extension LineFramer: StreamFramer {
    public mutating func feed(
        _ chunk: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer, Int) -> Void
    ) throws(FramingError) {
        feedLines(chunk, emit: emit)
    }
}
