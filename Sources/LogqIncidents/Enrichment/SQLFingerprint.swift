import Foundation

/// A MySQL statement reduced to its shape, as pt-query-digest does: literals become `?`, `IN (…)` lists one
/// `?+`, whitespace one space, keywords lower case; and the table it works on.
public enum SQLFingerprint {
    /// The statement of a slow-log entry: its lines after the `#` comments and `SET timestamp=`/`use`.
    public static func statement(inSlowLogEntry text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).filter { line in
            let trimmed = line.drop { $0 == " " }
            return !trimmed.hasPrefix("#") && !trimmed.lowercased().hasPrefix("set timestamp=")
                && !trimmed.lowercased().hasPrefix("use ")
        }
        let joined = lines.joined(separator: " ")
        return joined.isEmpty ? nil : joined
    }

    public static func normalize(_ statement: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(statement.utf8.count)
        let bytes = Array(statement.utf8)
        var index = 0
        func previousIsIdentifier() -> Bool {
            guard let last = out.last else { return false }
            return isIdentifierByte(last)
        }
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
            case UInt8(ascii: "0")...UInt8(ascii: "9") where !previousIsIdentifier():
                while index < bytes.count && (isIdentifierByte(bytes[index]) || bytes[index] == UInt8(ascii: ".")) {
                    index += 1
                }
                out.append(UInt8(ascii: "?"))
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                while index < bytes.count && [9, 10, 13, 32].contains(bytes[index]) { index += 1 }
                if !out.isEmpty { out.append(UInt8(ascii: " ")) }
            case UInt8(ascii: "`"):
                index += 1
            default:
                out.append(byte >= 65 && byte <= 90 ? byte + 32 : byte)
                index += 1
            }
        }
        while out.last == UInt8(ascii: " ") || out.last == UInt8(ascii: ";") { out.removeLast() }
        var text = String(decoding: out, as: UTF8.self)
        // `in (?, ?, ?)` → `in (?+)`, so lists of any length are one statement.
        while let range = text.range(of: #"in \(\?(, ?\?)+\)"#, options: .regularExpression) {
            text.replaceSubrange(range, with: "in (?+)")
        }
        return text
    }

    /// The first table after FROM, UPDATE, INTO or JOIN (as written, database prefix kept).
    public static func table(of normalized: String) -> String? {
        let words = normalized.split(separator: " ")
        for (index, word) in words.enumerated() where ["from", "update", "into", "join"].contains(word) {
            guard index + 1 < words.count else { continue }
            let name = words[index + 1].prefix { isIdentifierByte($0.asciiValue) || $0 == "." }
            if !name.isEmpty && name != "(" { return String(name) }
        }
        return nil
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95
            || byte >= 128
    }

    private static func isIdentifierByte(_ scalar: UInt8?) -> Bool { scalar.map { isIdentifierByte($0) } ?? false }
}
