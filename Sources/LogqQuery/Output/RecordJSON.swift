import LogqIndex

/// Records as one JSON object per line: the API's NDJSON and the CLI's `-o json`.
public enum RecordJSON {
    public static func encode(_ record: LogRecord) -> String {
        var out = "{\"_time\":\"" + TimestampFormat.rfc3339(record.timestamp) + "\""
        if let level = record.level { append("level", level.description, to: &out) }
        if !record.service.isEmpty { append("service", record.service, to: &out) }
        if !record.host.isEmpty { append("host", record.host, to: &out) }
        if !record.source.isEmpty { append("source", record.source, to: &out) }
        append("message", record.message, to: &out)
        for field in record.fields {
            out += ","
            appendString(field.name, to: &out)
            out += ":"
            switch field.value {
            case .string(let text): appendString(text, to: &out)
            case .int(let number): out += String(number)
            case .double(let number): out += number.isFinite ? number.description : "null"
            }
        }
        return out + "}"
    }

    private static func append(_ key: String, _ value: String, to out: inout String) {
        out += ",\"" + key + "\":"
        appendString(value, to: &out)
    }

    /// `text` as a JSON string. Byte by byte over UTF-8 (every byte of a multi-byte character is 0x80 or
    /// more, so only ASCII needs escaping), and appended whole when nothing does: escaping scalar by scalar
    /// was a third of a `level:error` search's time, its stack traces being most of the output.
    public static func appendString(_ text: String, to out: inout String) {
        out += "\""
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += text
        } else {
            var escaped: [UInt8] = []
            escaped.reserveCapacity(text.utf8.count + 16)
            let hexDigits = Array("0123456789abcdef".utf8)
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""): escaped += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                case UInt8(ascii: "\\"): escaped += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case UInt8(ascii: "\n"): escaped += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case UInt8(ascii: "\r"): escaped += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                case UInt8(ascii: "\t"): escaped += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                case ..<0x20:
                    escaped += Array("\\u00".utf8) + [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
                default: escaped.append(byte)
                }
            }
            out += String(decoding: escaped, as: UTF8.self)
        }
        out += "\""
    }
}
