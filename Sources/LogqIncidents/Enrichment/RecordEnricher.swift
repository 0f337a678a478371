import Foundation
import LogqIndex
import LogqQuery
import Synchronization

/// Fields derived from each record before it is stored: `fingerprint` (the message's template, see
/// `TemplateMiner`), and for MySQL slow-log entries `sql_fingerprint` and `table`, and for HikariCP pool
/// statistics `db_pool_usage` (percent of the pool in use).
public final class RecordEnricher: Sendable {
    private let miner = Mutex(TemplateMiner())

    public init() {}

    public func enrich(_ record: inout LogRecord) {
        // One pass over the fields for every question asked below: each `field(named:)` was a scan. By
        // index, and by length first: a `switch` on the name compared it with every case, out of line.
        var has = (fingerprint: false, queryTime: false, sqlFingerprint: false, table: false, poolUsage: false)
        record.fields.withUnsafeBufferPointer { fields in
            for index in fields.indices {
                let name = fields[index].name
                switch name.utf8.count {
                case 5: has.table = has.table || name == "table"
                case 10: has.queryTime = has.queryTime || name == "query_time"
                case 11: has.fingerprint = has.fingerprint || name == "fingerprint"
                case 13: has.poolUsage = has.poolUsage || name == "db_pool_usage"
                case 15: has.sqlFingerprint = has.sqlFingerprint || name == "sql_fingerprint"
                default: break
                }
            }
        }
        if !has.fingerprint {
            let fingerprint = miner.withLock { $0.fingerprint(of: record.message) }
            record.fields.append(Field("fingerprint", .string(fingerprint)))
        }
        if has.queryTime, !has.sqlFingerprint, let statement = SQLFingerprint.statement(inSlowLogEntry: record.message)
        {
            let normalized = SQLFingerprint.normalize(statement)
            record.fields.append(Field("sql_fingerprint", .string(normalized)))
            if !has.table, let table = SQLFingerprint.table(of: normalized) {
                record.fields.append(Field("table", .string(table)))
            }
        }
        if !has.poolUsage, let usage = Self.poolUsage(record.message) {
            record.fields.append(Field("db_pool_usage", .double(usage)))
        }
    }

    /// Whether `text` contains `needle` (ASCII), comparing bytes.
    static func holds(_ text: String, _ needle: StaticString) -> Bool {
        let pattern = UnsafeRawBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        var text = text
        return text.withUTF8 { UnsafeRawBufferPointer($0).containsBytes(pattern) }
    }

    /// `… Pool stats (total=10, active=9, idle=1, waiting=3)` → 90.
    static func poolUsage(_ message: String) -> Double? {
        // Every record passes here: a byte scan for the marker before any string search.
        guard Self.holds(message, "Pool stats (total="), let start = message.range(of: "Pool stats (total=") else {
            return nil
        }
        let rest = message[start.upperBound...]
        let total = Double(rest.prefix { $0.isNumber })
        guard let total, total > 0, let active = rest.range(of: "active=") else { return nil }
        guard let used = Double(rest[active.upperBound...].prefix { $0.isNumber }) else { return nil }
        return (used / total * 1000).rounded() / 10
    }
}
