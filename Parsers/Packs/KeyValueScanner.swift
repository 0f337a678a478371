/// Finds `key=value` pairs in a message (logfmt-style, as Spring services write `orderId=O1 traceId=ab`):
/// a key is a word that starts the text or follows a space, a value runs to the next space (or is quoted).
enum KeyValueScanner {
    static let maxPairs = 32

    static func scan(_ line: UnsafeRawBufferPointer, in message: Range<Int>, into parsed: inout ParsedLine) {
        var index = message.lowerBound
        let end = message.upperBound
        var pairs = 0
        while index < end, pairs < maxPairs {
            // Only the first line of a multi-line event: a stack trace is not key=value text.
            if line[index] == UInt8(ascii: "\n") { return }
            guard index == message.lowerBound || line[index - 1] == UInt8(ascii: " "), isKeyStart(line[index]) else {
                index += 1
                continue
            }
            let keyStart = index
            while index < end, isKeyByte(line[index]) { index += 1 }
            guard index < end, line[index] == UInt8(ascii: "="), index - keyStart <= 64 else { continue }
            let keyRange = keyStart..<index
            index += 1
            var valueRange: Range<Int>
            if index < end, line[index] == UInt8(ascii: "\"") {
                let start = index + 1
                index = start
                while index < end, line[index] != UInt8(ascii: "\""), line[index] != UInt8(ascii: "\n") { index += 1 }
                valueRange = start..<index
                if index < end, line[index] == UInt8(ascii: "\"") { index += 1 }
            } else {
                let start = index
                while index < end, line[index] != UInt8(ascii: " "), line[index] != UInt8(ascii: "\n") { index += 1 }
                valueRange = start..<index
                // A trailing comma or semicolon belongs to the sentence, not the value.
                while valueRange.count > 1,
                    line[valueRange.upperBound - 1] == UInt8(ascii: ",")
                        || line[valueRange.upperBound - 1] == UInt8(ascii: ";")
                {
                    valueRange = valueRange.lowerBound..<(valueRange.upperBound - 1)
                }
            }
            guard !valueRange.isEmpty else { continue }
            let bytes = UnsafeRawBufferPointer(rebasing: line[valueRange])
            let value: ParsedLine.Value = NumberText.exactInteger(bytes).map { .int($0) } ?? .text
            parsed.fields.append(.init(field: -1, nameRange: keyRange, range: valueRange, value: value))
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
