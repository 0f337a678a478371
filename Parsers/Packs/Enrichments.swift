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
/// `Caused by: java.net.ConnectException: …`.
enum JavaException {
    static func firstName(in message: String) -> String? {
        guard message.utf8.contains(UInt8(ascii: "\n")) else { return nil }
        for line in message.split(separator: "\n").dropFirst() {
            var text = line.drop { $0 == " " || $0 == "\t" }
            if text.hasPrefix("Caused by: ") { text = text.dropFirst("Caused by: ".count) }
            let name = text.prefix { $0 != ":" && $0 != " " }
            guard name.contains("."),
                name.hasSuffix("Exception") || name.hasSuffix("Error") || name.hasSuffix("Throwable")
            else { continue }
            if name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "$" }) {
                return String(name)
            }
        }
        return nil
    }
}
