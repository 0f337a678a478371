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

    public static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
