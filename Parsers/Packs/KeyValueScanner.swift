#if canImport(Glibc)
import Glibc
#endif

/// Finds `key=value` pairs in a message (logfmt-style, as Spring services write `orderId=O1 traceId=ab`):
/// a key is a word that starts the text or follows a space, a value runs to the next space (or is quoted).
/// Only the first line of the message is read: a stack trace is not key=value text.
enum KeyValueScanner {
    static let maxPairs = 32

    static func scan(_ line: UnsafeRawBufferPointer, in message: Range<Int>, into parsed: inout ParsedLine) {
        guard let base = line.baseAddress, !message.isEmpty else { return }
        let start = message.lowerBound
        var end = message.upperBound
        if let newline = memchr(base + start, Int32(UInt8(ascii: "\n")), message.count) {
            end = base.distance(to: UnsafeRawPointer(newline))
        }
        var cursor = start
        var pairs = 0
        // Jump from `=` to `=`: messages hold few, so most bytes are looked at once, by memchr.
        while cursor < end, pairs < maxPairs,
            let found = memchr(base + cursor, Int32(UInt8(ascii: "=")), end - cursor)
        {
            let equals = base.distance(to: UnsafeRawPointer(found))
            cursor = equals + 1
            var keyStart = equals
            while keyStart > start, isKeyByte(line[keyStart - 1]) { keyStart -= 1 }
            guard keyStart < equals, equals - keyStart <= 64, isKeyStart(line[keyStart]),
                keyStart == start || line[keyStart - 1] == UInt8(ascii: " ")
            else { continue }
            var index = equals + 1
            var valueRange: Range<Int>
            if index < end, line[index] == UInt8(ascii: "\"") {
                let valueStart = index + 1
                index = valueStart
                while index < end, line[index] != UInt8(ascii: "\"") { index += 1 }
                valueRange = valueStart..<index
                if index < end { index += 1 }
            } else {
                let valueStart = index
                while index < end, line[index] != UInt8(ascii: " ") { index += 1 }
                valueRange = valueStart..<index
                // A trailing comma or semicolon belongs to the sentence, not the value.
                while valueRange.count > 1,
                    line[valueRange.upperBound - 1] == UInt8(ascii: ",")
                        || line[valueRange.upperBound - 1] == UInt8(ascii: ";")
                {
                    valueRange = valueRange.lowerBound..<(valueRange.upperBound - 1)
                }
            }
            cursor = index
            guard !valueRange.isEmpty else { continue }
            let bytes = UnsafeRawBufferPointer(rebasing: line[valueRange])
            let value: ParsedLine.Value = NumberText.exactInteger(bytes).map { .int($0) } ?? .text
            parsed.fields.append(.init(field: -1, nameRange: keyStart..<equals, range: valueRange, value: value))
            pairs += 1
        }
    }

    @inline(__always)
    static func isKeyStart(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- UInt8(ascii: "a") < 26 || byte == UInt8(ascii: "_")
    }

    @inline(__always)
    static func isKeyByte(_ byte: UInt8) -> Bool {
        isKeyStart(byte) || byte &- UInt8(ascii: "0") < 10 || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }
}
