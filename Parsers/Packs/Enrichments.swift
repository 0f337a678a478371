/// The tables a SQL statement reads or writes: the identifiers after FROM, JOIN, UPDATE, INTO and TABLE,
/// without schema qualifiers or backticks, in order of appearance, each once.
enum SQLTables {
    static let keywords: Set<String> = ["from", "join", "update", "into", "table"]

    static func names(in statement: String) -> [String] {
        var tables: [String] = []
        var expectTable = false
        for token in statement.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "," || $0 == "(" }
        ) {
            if expectTable {
                expectTable = false
                var name = token.filter { $0 != "`" && $0 != "\"" && $0 != ";" && $0 != ")" }
                if let dot = name.lastIndex(of: ".") { name = String(name[name.index(after: dot)...]) }
                if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" }),
                    !keywords.contains(name.lowercased()), !tables.contains(name), name.lowercased() != "select"
                {
                    tables.append(name)
                }
            }
            if keywords.contains(token.lowercased()) { expectTable = true }
        }
        return tables
    }
}

/// The first exception class named in a stack trace: `com.coffee.order.PaymentException: …` or
/// `Caused by: java.net.ConnectException: …`. Reads the message's bytes, looking at the first few lines
/// after the log line only: the exception is named there, the frames below never are.
enum JavaException {
    static let linesLooked = 8

    static func firstName(in message: String) -> String? {
        var message = message
        return message.withUTF8 { bytes -> String? in
            var index = 0
            var lines = 0
            while lines < linesLooked {
                guard let newline = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
                index = newline + 1
                lines += 1
                while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
                    index += 1
                }
                if bytes[index...].starts(with: "Caused by: ".utf8) { index += 11 }
                var end = index
                var dots = 0
                while end < bytes.count, isNameByte(bytes[end]) {
                    if bytes[end] == UInt8(ascii: ".") { dots += 1 }
                    end += 1
                }
                guard dots > 0, end < bytes.count, bytes[end] == UInt8(ascii: ":") || bytes[end] == UInt8(ascii: "\n")
                else { continue }
                let name = String(decoding: bytes[index..<end], as: UTF8.self)
                if name.hasSuffix("Exception") || name.hasSuffix("Error") || name.hasSuffix("Throwable") { return name }
            }
            return nil
        }
    }

    @inline(__always)
    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- UInt8(ascii: "a") < 26 || byte &- UInt8(ascii: "0") < 10 || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$")
    }
}
