import Foundation
import LogqCorpus
import Testing

@testable import LogqIncidents

@Suite struct SQLFingerprintTests {
    @Test func reducesAStatementToItsShape() {
        let entry = """
            # Time: 2026-11-23T09:41:00Z
            # Query_time: 12.5  Lock_time: 0.1 Rows_sent: 1  Rows_examined: 900000
            use shop;
            SET timestamp=1795426860;
            SELECT * FROM `orders` WHERE id IN (1, 2,3) AND note = 'it''s' AND t2.v = 7;
            """
        let statement = SQLFingerprint.statement(inSlowLogEntry: entry)
        #expect(statement == "SELECT * FROM `orders` WHERE id IN (1, 2,3) AND note = 'it''s' AND t2.v = 7;")
        let normalized = SQLFingerprint.normalize(statement!)
        #expect(normalized == "select * from orders where id in (?+) and note = ?? and t2.v = ?")
        #expect(SQLFingerprint.table(of: normalized) == "orders")
        #expect(SQLFingerprint.statement(inSlowLogEntry: "# only comments\n  # here") == nil)
    }

    /// The byte-level version against the first one (Strings and a Foundation regular expression, kept
    /// below as the reference) on the corpus' slow-log entries and on random ASCII statements built from
    /// the pieces that matter: literals, IN lists, back-quotes, case, whitespace, keywords.
    @Test func agreesWithTheStringVersion() {
        var generator = CorpusGenerator(seed: 11, eventsPerSecond: 4)
        var entries: [String] = []
        while entries.count < 300 {
            let event = generator.next()
            if event.kind == .mysqlSlow { entries.append(event.message) }
        }
        var random = SplitMix64(seed: 5)
        let pieces = [
            "SELECT", "select", "*", "FROM", "from", "orders", "`member`", "JOIN", "join", "t1.id", "=", "'a b'",
            "\"q\"", "'x\\'y'", "42", "3.5", "v2", "IN (1, 2, 3)", "in (?,?)", "in (7)", "IN ('a','b')", "UPDATE",
            "SET", "qty", "INTO", "WHERE", "(", ")", ",", ";", "\t", "\n", "  ", "SET timestamp=1;", "use db;",
            "# c", "LIMIT", "join (1, 2)", "db.tbl",
        ]
        for _ in 0..<2000 {
            let count = 1 + Int(random.next() % 14)
            let separators = ["", " ", "  ", "\n", "\t"]
            let text = (0..<count).map { _ in
                pieces[Int(random.next() % UInt64(pieces.count))]
                    + separators[Int(random.next() % UInt64(separators.count))]
            }.joined()
            entries.append(text)
        }
        for entry in entries {
            let statement = SQLFingerprint.statement(inSlowLogEntry: entry)
            #expect(statement == ReferenceSQLFingerprint.statement(inSlowLogEntry: entry), "\(entry)")
            guard let statement else { continue }
            let normalized = SQLFingerprint.normalize(statement)
            #expect(normalized == ReferenceSQLFingerprint.normalize(statement), "\(statement)")
            #expect(SQLFingerprint.table(of: normalized) == ReferenceSQLFingerprint.table(of: normalized))
        }
    }
}

enum ReferenceSQLFingerprint {
    /// The statement of a slow-log entry: its lines after the `#` comments and `SET timestamp=`/`use`.
    static func statement(inSlowLogEntry text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).filter { line in
            let trimmed = line.drop { $0 == " " }
            return !trimmed.hasPrefix("#") && !trimmed.lowercased().hasPrefix("set timestamp=")
                && !trimmed.lowercased().hasPrefix("use ")
        }
        let joined = lines.joined(separator: " ")
        return joined.isEmpty ? nil : joined
    }

    static func normalize(_ statement: String) -> String {
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
    static func table(of normalized: String) -> String? {
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
