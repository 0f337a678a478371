/// One syslog message, its parts as byte ranges into the frame (structured-data values are unescaped
/// copies, since RFC 5424 escapes `"`, `\` and `]` inside them).
public struct SyslogMessage: Sendable, Equatable {
    public enum Format: String, Sendable { case rfc5424, rfc3164 }

    public struct Parameter: Sendable, Equatable {
        public let element: String
        public let name: String
        public let value: String
    }

    public var format: Format
    /// Absent when a file line carries no `<PRI>`.
    public var facility: Int?
    public var severity: Int?
    public var timestamp: Int64?
    public var hostname: Range<Int>?
    public var appName: Range<Int>?
    public var procID: Range<Int>?
    public var msgID: Range<Int>?
    public var structuredData: [Parameter] = []
    public var message: Range<Int>
}

/// RFC 5424 and RFC 3164 (BSD) syslog, detected per message. Also the `/var/log/syslog` file form, which
/// is RFC 3164 without `<PRI>`.
public enum SyslogParser {
    /// Nil when the bytes are not syslog at all; callers keep such a line as a plain message.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, zone: TimeZoneRule = .utc, reference: Int64 = 0
    ) -> SyslogMessage? {
        var scanner = Scanner(bytes: bytes)
        var facility: Int?
        var severity: Int?
        if scanner.peek == UInt8(ascii: "<") {
            guard let priority = scanner.priority() else { return nil }
            facility = priority / 8
            severity = priority % 8
        }
        if facility != nil, scanner.peek == UInt8(ascii: "1"), scanner.peek(at: 1) == UInt8(ascii: " ") {
            scanner.position += 2
            return rfc5424(&scanner, facility: facility, severity: severity)
        }
        return rfc3164(&scanner, facility: facility, severity: severity, zone: zone, reference: reference)
    }

    private static func rfc5424(_ scanner: inout Scanner, facility: Int?, severity: Int?) -> SyslogMessage? {
        guard let timeRange = scanner.field() else { return nil }
        var timestamp: Int64?
        if !scanner.isNil(timeRange) {
            timestamp = TimestampParser.parse(scanner.slice(timeRange), format: .iso8601)
            guard timestamp != nil else { return nil }
        }
        guard let host = scanner.field(), let app = scanner.field(), let proc = scanner.field(),
            let msgID = scanner.field()
        else { return nil }
        var parameters: [SyslogMessage.Parameter] = []
        if scanner.peek == UInt8(ascii: "-") {
            scanner.position += 1
        } else {
            guard scanner.peek == UInt8(ascii: "[") else { return nil }
            while scanner.peek == UInt8(ascii: "[") {
                guard scanner.structuredElement(into: &parameters) else { return nil }
            }
        }
        if scanner.peek == UInt8(ascii: " ") { scanner.position += 1 }
        // A UTF-8 byte-order mark may open the message.
        if scanner.peek == 0xEF, scanner.peek(at: 1) == 0xBB, scanner.peek(at: 2) == 0xBF { scanner.position += 3 }
        func optional(_ range: Range<Int>) -> Range<Int>? { scanner.isNil(range) ? nil : range }
        return SyslogMessage(
            format: .rfc5424, facility: facility, severity: severity, timestamp: timestamp, hostname: optional(host),
            appName: optional(app), procID: optional(proc), msgID: optional(msgID), structuredData: parameters,
            message: scanner.position..<scanner.bytes.count)
    }

    private static func rfc3164(
        _ scanner: inout Scanner, facility: Int?, severity: Int?, zone: TimeZoneRule, reference: Int64
    ) -> SyslogMessage? {
        // `Nov 23 09:41:07` (15 bytes, day space-padded) or an RFC 3339 time, as rsyslog can write.
        var timestamp: Int64?
        if let first = scanner.peek, first &- UInt8(ascii: "0") < 10 {
            guard let range = scanner.field() else { return nil }
            timestamp = TimestampParser.parse(scanner.slice(range), format: .iso8601, zone: zone)
        } else if scanner.remaining >= 15 {
            let range = scanner.position..<(scanner.position + 15)
            timestamp = TimestampParser.parse(scanner.slice(range), format: .syslog, zone: zone, reference: reference)
            if timestamp != nil {
                scanner.position += 15
                if scanner.peek == UInt8(ascii: " ") { scanner.position += 1 }
            }
        }
        // Without a priority, only a timestamp says this is syslog.
        guard timestamp != nil || facility != nil else { return nil }
        let afterTime = scanner.position
        var hostname: Range<Int>?
        if let token = scanner.field(), !scanner.looksLikeTag(token) {
            hostname = token
        } else {
            scanner.position = afterTime
        }
        while scanner.peek == UInt8(ascii: " ") { scanner.position += 1 }
        let tagStart = scanner.position
        var appName: Range<Int>?
        var procID: Range<Int>?
        var cursor = scanner.position
        // sysklogd writes tags with one space in them (`syslogd 1.4.1: restart.`, `-- root[2421]:`).
        var spaces = 0
        while cursor < scanner.bytes.count, cursor - tagStart <= 48 {
            let byte = scanner.bytes[cursor]
            if byte == UInt8(ascii: " "), spaces == 0, cursor > tagStart, cursor + 1 < scanner.bytes.count,
                Scanner.isTagByte(scanner.bytes[cursor + 1])
            {
                spaces += 1
            } else if !Scanner.isTagByte(byte) {
                break
            }
            cursor += 1
        }
        if cursor > tagStart, cursor < scanner.bytes.count {
            if scanner.bytes[cursor] == UInt8(ascii: "["),
                let close = scanner.index(of: UInt8(ascii: "]"), from: cursor + 1),
                close + 1 < scanner.bytes.count, scanner.bytes[close + 1] == UInt8(ascii: ":")
            {
                appName = tagStart..<cursor
                procID = (cursor + 1)..<close
                scanner.position = close + 2
            } else if scanner.bytes[cursor] == UInt8(ascii: ":") {
                appName = tagStart..<cursor
                scanner.position = cursor + 1
            }
        }
        if appName == nil, hostname != nil {
            // A tag without a colon, as rsyslog writes one it took from an RFC 5424 app-name
            // (`<11>2026-11-29T18:55:45Z vm member login failed`): the first word, as rsyslog reads it.
            var end = tagStart
            while end < scanner.bytes.count, end - tagStart < 48, Scanner.isTagByte(scanner.bytes[end]) { end += 1 }
            if end > tagStart, end < scanner.bytes.count, scanner.bytes[end] == UInt8(ascii: " ") {
                appName = tagStart..<end
                scanner.position = end
            }
        }
        if scanner.peek == UInt8(ascii: " ") { scanner.position += 1 }
        return SyslogMessage(
            format: .rfc3164, facility: facility, severity: severity, timestamp: timestamp, hostname: hostname,
            appName: appName, procID: procID, msgID: nil, message: scanner.position..<scanner.bytes.count)
    }
}

private struct Scanner {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }
    func peek(at offset: Int) -> UInt8? { position + offset < bytes.count ? bytes[position + offset] : nil }
    var remaining: Int { bytes.count - position }

    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[range]) }

    func isNil(_ range: Range<Int>) -> Bool { range.count == 1 && bytes[range.lowerBound] == UInt8(ascii: "-") }

    func index(of byte: UInt8, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }

    /// `<0>` … `<191>`.
    mutating func priority() -> Int? {
        position += 1
        var value = 0
        let start = position
        while let byte = peek, byte &- UInt8(ascii: "0") < 10, position - start < 3 {
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            position += 1
        }
        guard position > start, peek == UInt8(ascii: ">"), value <= 191 else { return nil }
        position += 1
        return value
    }

    /// A space-terminated token; the space is consumed.
    mutating func field() -> Range<Int>? {
        let start = position
        while let byte = peek, byte != UInt8(ascii: " ") { position += 1 }
        guard position > start else { return nil }
        let range = start..<position
        if peek == UInt8(ascii: " ") { position += 1 }
        return range
    }

    /// `sshd:`, `sshd[42]:`: a tag, not a hostname.
    func looksLikeTag(_ range: Range<Int>) -> Bool {
        bytes[range.upperBound - 1] == UInt8(ascii: ":") || bytes[range].contains(UInt8(ascii: "["))
    }

    static func isTagByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "/"), UInt8(ascii: "@"), UInt8(ascii: "("), UInt8(ascii: ")"):
            // `sshd(pam_unix)[42]:` — PAM names its module in parentheses.
            return true
        default:
            return false
        }
    }

    /// `[id name="value" …]`, values unescaped.
    mutating func structuredElement(into parameters: inout [SyslogMessage.Parameter]) -> Bool {
        position += 1
        let idStart = position
        while let byte = peek, byte != UInt8(ascii: " "), byte != UInt8(ascii: "]") { position += 1 }
        guard position > idStart else { return false }
        let element = String(decoding: bytes[idStart..<position], as: UTF8.self)
        var sawParameter = false
        while peek == UInt8(ascii: " ") {
            position += 1
            let nameStart = position
            while let byte = peek, byte != UInt8(ascii: "=") { position += 1 }
            guard peek == UInt8(ascii: "="), peek(at: 1) == UInt8(ascii: "\""), position > nameStart else {
                return false
            }
            let name = String(decoding: bytes[nameStart..<position], as: UTF8.self)
            position += 2
            var value: [UInt8] = []
            while let byte = peek, byte != UInt8(ascii: "\"") {
                if byte == UInt8(ascii: "\\"), let next = peek(at: 1),
                    next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\") || next == UInt8(ascii: "]")
                {
                    value.append(next)
                    position += 2
                } else {
                    value.append(byte)
                    position += 1
                }
            }
            guard peek == UInt8(ascii: "\"") else { return false }
            position += 1
            parameters.append(.init(element: element, name: name, value: String(decoding: value, as: UTF8.self)))
            sawParameter = true
        }
        guard peek == UInt8(ascii: "]") else { return false }
        position += 1
        // An element with no parameters (`[timeQuality]`) still says something: keep that it was there.
        if !sawParameter { parameters.append(.init(element: element, name: "", value: "true")) }
        return true
    }
}
