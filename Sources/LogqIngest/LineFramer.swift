import LogqIndex

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream into LF-terminated lines, whatever the chunk boundaries.
///
/// A line longer than `maxLineBytes` keeps its first `maxLineBytes` bytes and reports its full length,
/// so the record says it was cut instead of vanishing or exhausting memory. Blank lines carry no event
/// and are skipped.
public struct LineFramer {
    public let maxLineBytes: Int
    private var partial: [UInt8] = []
    /// Bytes of the current line beyond what `partial` keeps.
    private var overflow = 0

    public init(maxLineBytes: Int = StorageLimits.maxMessageBytes) {
        self.maxLineBytes = maxLineBytes
    }

    /// Calls `emit(line, originalLength)` for every line completed by `chunk`.
    public mutating func feedLines(_ chunk: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer, Int) -> Void) {
        guard let base = chunk.baseAddress else { return }
        var start = 0
        while start < chunk.count {
            let found = memchr(base + start, Int32(UInt8(ascii: "\n")), chunk.count - start)
            guard let found else {
                keep(UnsafeRawBufferPointer(rebasing: chunk[start...]))
                return
            }
            let end = UnsafeRawPointer(found) - base
            let piece = UnsafeRawBufferPointer(rebasing: chunk[start..<end])
            if partial.isEmpty && overflow == 0 {
                if piece.count > maxLineBytes {
                    emitLine(UnsafeRawBufferPointer(rebasing: piece[..<maxLineBytes]), piece.count, emit)
                } else {
                    emitLine(piece, piece.count, emit)
                }
            } else {
                keep(piece)
                let length = partial.count + overflow
                partial.withUnsafeBytes { emitLine($0, length, emit) }
                partial.removeAll(keepingCapacity: true)
                overflow = 0
            }
            start = end + 1
        }
    }

    /// The sender closed the connection: a last line without a newline is still a line.
    public mutating func finish(emit: (UnsafeRawBufferPointer, Int) -> Void) {
        guard !partial.isEmpty || overflow > 0 else { return }
        let length = partial.count + overflow
        partial.withUnsafeBytes { emitLine($0, length, emit) }
        partial.removeAll()
        overflow = 0
    }

    public var bufferedBytes: Int { partial.count }

    private mutating func keep(_ bytes: UnsafeRawBufferPointer) {
        let room = maxLineBytes - partial.count
        if bytes.count <= room {
            partial.append(contentsOf: bytes)
        } else {
            partial.append(contentsOf: bytes[..<room])
            overflow += bytes.count - room
        }
    }

    private func emitLine(_ line: UnsafeRawBufferPointer, _ length: Int, _ emit: (UnsafeRawBufferPointer, Int) -> Void)
    {
        // A CRLF sender's lines are the same lines; a line of only spaces is still blank.
        var trimmed = line
        while let last = trimmed.last, last == UInt8(ascii: "\r") {
            trimmed = UnsafeRawBufferPointer(rebasing: trimmed.dropLast())
        }
        guard trimmed.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { return }
        emit(trimmed, length)
    }
}
