/// A MySQL statement reduced to its shape, as pt-query-digest does: literals become `?`, `IN (…)` lists one
/// `?+`, whitespace one space, keywords lower case; and the table it works on.
///
/// Every slow-log record passes here on the ingest path, so the work is done on UTF-8 bytes: the first
/// version, on Strings with a Foundation regular expression for the `IN` lists, took 7% of logqd's CPU
/// during ingest in a profile (10% of the records are slow-log entries).
public enum SQLFingerprint {
    /// The statement of a slow-log entry: its lines after the `#` comments and `SET timestamp=`/`use`.
    public static func statement(inSlowLogEntry text: String) -> String? {
        var out: [UInt8] = []
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            let trimmed = line.drop { $0 == UInt8(ascii: " ") }
            if trimmed.first == UInt8(ascii: "#") || hasPrefix(trimmed, lowercased: "set timestamp=")
                || hasPrefix(trimmed, lowercased: "use ")
            {
                continue
            }
            if !out.isEmpty { out.append(UInt8(ascii: " ")) }
            out.append(contentsOf: line)
        }
        return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
    }

    public static func normalize(_ statement: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(statement.utf8.count)
        var statement = statement
        statement.withUTF8 { bytes in
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "'"), UInt8(ascii: "\""):
                    index += 1
                    while index < bytes.count && bytes[index] != byte {
                        if bytes[index] == UInt8(ascii: "\\") { index += 1 }
                        index += 1
                    }
                    index += 1
                    out.append(UInt8(ascii: "?"))
                case UInt8(ascii: "0")...UInt8(ascii: "9") where !(out.last.map(isIdentifierByte) ?? false):
                    while index < bytes.count && (isIdentifierByte(bytes[index]) || bytes[index] == UInt8(ascii: ".")) {
                        index += 1
                    }
                    out.append(UInt8(ascii: "?"))
                case 9, 10, 13, 32:
                    while index < bytes.count && isSpace(bytes[index]) { index += 1 }
                    if !out.isEmpty { out.append(UInt8(ascii: " ")) }
                case UInt8(ascii: "`"):
                    index += 1
                default:
                    out.append(byte >= 65 && byte <= 90 ? byte + 32 : byte)
                    index += 1
                }
            }
        }
        while out.last == UInt8(ascii: " ") || out.last == UInt8(ascii: ";") { out.removeLast() }
        return String(decoding: collapsingInLists(out), as: UTF8.self)
    }

    /// `in (?, ?, ?)` → `in (?+)`, so lists of any length are one statement: each `in (?` followed by one
    /// or more `, ?` (or `,?`) and `)`.
    private static func collapsingInLists(_ bytes: [UInt8]) -> [UInt8] {
        let opening = Array("in (?".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "i"), bytes[index...].starts(with: opening) {
                var end = index + opening.count
                var more = 0
                while end < bytes.count && bytes[end] == UInt8(ascii: ",") {
                    var next = end + 1
                    if next < bytes.count && bytes[next] == UInt8(ascii: " ") { next += 1 }
                    guard next < bytes.count && bytes[next] == UInt8(ascii: "?") else { break }
                    end = next + 1
                    more += 1
                }
                if more > 0 && end < bytes.count && bytes[end] == UInt8(ascii: ")") {
                    out.append(contentsOf: "in (?+)".utf8)
                    index = end + 1
                    continue
                }
            }
            out.append(bytes[index])
            index += 1
        }
        return out
    }

    /// The first table after FROM, UPDATE, INTO or JOIN (as written, database prefix kept).
    public static func table(of normalized: String) -> String? {
        let words = normalized.utf8.split(separator: UInt8(ascii: " "))
        for (index, word) in words.enumerated() where index + 1 < words.count && isTableKeyword(word) {
            let name = words[index + 1].prefix { isIdentifierByte($0) || $0 == UInt8(ascii: ".") }
            if !name.isEmpty { return String(decoding: name, as: UTF8.self) }
        }
        return nil
    }

    private static func isTableKeyword(_ word: Substring.UTF8View.SubSequence) -> Bool {
        word.elementsEqual("from".utf8) || word.elementsEqual("update".utf8) || word.elementsEqual("into".utf8)
            || word.elementsEqual("join".utf8)
    }

    /// Whether `line` starts with `prefix` (lower-case ASCII), ignoring ASCII case.
    private static func hasPrefix(_ line: Substring.UTF8View.SubSequence, lowercased prefix: StaticString) -> Bool {
        let wanted = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        guard line.count >= wanted.count else { return false }
        return zip(line, wanted).allSatisfy { byte, lower in (byte >= 65 && byte <= 90 ? byte + 32 : byte) == lower }
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 || byte == 10 || byte == 13 }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95
            || byte >= 128
    }
}
