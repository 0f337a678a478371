/// A strict, allocation-light reader of one JSON object per line, flattening nested objects into dotted
/// keys (`log.file.path`) as Filebeat and ECS spell them, and keeping arrays as their JSON text.
///
/// Foundation's JSONSerialization builds an `[String: Any]` of boxed values per line; ingest needs only
/// the flat key/value pairs, so this reads them straight from the bytes (RFC 8259; a document that is
/// not exactly one object, or nests deeper than `maxDepth`, is rejected whole).
struct JSONObjectScanner {
    enum Value: Equatable {
        case string(String)
        case int(Int64)
        case double(Double)
        case bool(Bool)
        case null
        /// An array, as its JSON text.
        case raw(String)
    }

    static let maxDepth = 32

    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private(set) var pairs: [(key: String, value: Value)] = []

    private init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The object's pairs in document order, or nil when `bytes` is not one JSON object.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> [(key: String, value: Value)]? {
        var scanner = JSONObjectScanner(bytes)
        scanner.skipSpace()
        guard scanner.peek == UInt8(ascii: "{"), scanner.readObject(prefix: "", depth: 0) else { return nil }
        scanner.skipSpace()
        guard scanner.position == bytes.count else { return nil }
        return scanner.pairs
    }

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        skipSpace()
        guard peek == byte else { return false }
        position += 1
        return true
    }

    private mutating func readObject(prefix: String, depth: Int) -> Bool {
        guard depth < Self.maxDepth, consume(UInt8(ascii: "{")) else { return false }
        if consume(UInt8(ascii: "}")) { return true }
        while true {
            skipSpace()
            guard let name = readString(), consume(UInt8(ascii: ":")) else { return false }
            let key = prefix.isEmpty ? name : prefix + "." + name
            skipSpace()
            switch peek {
            case UInt8(ascii: "{"):
                guard readObject(prefix: key, depth: depth + 1) else { return false }
            case UInt8(ascii: "["):
                let start = position
                guard skipArray(depth: depth + 1) else { return false }
                pairs.append(
                    (
                        key,
                        .raw(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
                    ))
            default:
                guard let value = readScalar() else { return false }
                pairs.append((key, value))
            }
            if consume(UInt8(ascii: ",")) { continue }
            return consume(UInt8(ascii: "}"))
        }
    }

    /// Validates an array (and whatever it holds) without keeping its values.
    private mutating func skipArray(depth: Int) -> Bool {
        guard depth < Self.maxDepth, consume(UInt8(ascii: "[")) else { return false }
        if consume(UInt8(ascii: "]")) { return true }
        while true {
            skipSpace()
            switch peek {
            case UInt8(ascii: "{"):
                // Values inside arrays are not fields: parse into a throwaway scanner state.
                let saved = pairs.count
                guard readObject(prefix: "", depth: depth + 1) else { return false }
                pairs.removeSubrange(saved...)
            case UInt8(ascii: "["):
                guard skipArray(depth: depth + 1) else { return false }
            default:
                guard readScalar() != nil else { return false }
            }
            if consume(UInt8(ascii: ",")) { continue }
            return consume(UInt8(ascii: "]"))
        }
    }

    private mutating func readScalar() -> Value? {
        guard let first = peek else { return nil }
        switch first {
        case UInt8(ascii: "\""): return readString().map(Value.string)
        case UInt8(ascii: "t"): return readLiteral("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return readLiteral("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return readLiteral("null") ? .null : nil
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return readNumber()
        default: return nil
        }
    }

    private mutating func readLiteral(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        for index in 0..<count where bytes[position + index] != word.utf8Start[index] { return false }
        position += count
        return true
    }

    private mutating func readNumber() -> Value? {
        let start = position
        if peek == UInt8(ascii: "-") { position += 1 }
        let digitsStart = position
        var magnitude: UInt64 = 0
        var overflow = false
        while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            overflow = overflow || o1 || o2
            magnitude = sum
            position += 1
        }
        let digitCount = position - digitsStart
        guard digitCount > 0, !(digitCount > 1 && bytes[digitsStart] == UInt8(ascii: "0")) else { return nil }
        var isInteger = true
        if peek == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard skipDigits() else { return nil }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
            guard skipDigits() else { return nil }
        }
        let negative = bytes[start] == UInt8(ascii: "-")
        if isInteger && !overflow && magnitude <= UInt64(Int64.max) {
            return .int(negative ? -Int64(magnitude) : Int64(magnitude))
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        return Double(text).map(Value.double)
    }

    private mutating func skipDigits() -> Bool {
        let start = position
        while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { position += 1 }
        return position > start
    }

    /// A string at `position` (which must be its opening quote), unescaped.
    private mutating func readString() -> String? {
        guard peek == UInt8(ascii: "\"") else { return nil }
        position += 1
        let start = position
        // Fast path: no escapes, the common case for log fields.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                defer { position += 1 }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { return nil }
            position += 1
        }
        var unescaped = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
        unescaped.reserveCapacity(unescaped.count + 256)
        while position < bytes.count {
            // Runs between escapes are copied whole: stack traces are long and escape every line break.
            let runStart = position
            while position < bytes.count, bytes[position] >= 0x20, bytes[position] != UInt8(ascii: "\\"),
                bytes[position] != UInt8(ascii: "\"")
            {
                position += 1
            }
            if position > runStart {
                unescaped.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<position]))
            }
            guard position < bytes.count else { break }
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: unescaped, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = peek else { return nil }
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(escaped)
                case UInt8(ascii: "b"): unescaped.append(0x08)
                case UInt8(ascii: "f"): unescaped.append(0x0C)
                case UInt8(ascii: "n"): unescaped.append(0x0A)
                case UInt8(ascii: "r"): unescaped.append(0x0D)
                case UInt8(ascii: "t"): unescaped.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = readUnicodeEscape() else { return nil }
                    unescaped.append(contentsOf: String(Character(scalar)).utf8)
                default: return nil
                }
            case 0..<0x20:
                return nil
            default:
                unescaped.append(byte)
            }
        }
        return nil
    }

    /// `XXXX` after `\u`, joining a surrogate pair; a lone surrogate becomes U+FFFD rather than failing.
    private mutating func readUnicodeEscape() -> Unicode.Scalar? {
        guard let high = readHex4() else { return nil }
        if (0xD800..<0xDC00).contains(high) {
            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                bytes[position + 1] == UInt8(ascii: "u")
            else { return Unicode.Scalar(0xFFFD) }
            let saved = position
            position += 2
            guard let low = readHex4() else { return nil }
            guard (0xDC00..<0xE000).contains(low) else {
                position = saved
                return Unicode.Scalar(0xFFFD)
            }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        }
        return Unicode.Scalar(high) ?? Unicode.Scalar(0xFFFD)
    }

    private mutating func readHex4() -> UInt32? {
        guard position + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}
