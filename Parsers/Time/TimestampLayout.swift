/// The timestamp spellings the parsers read, without Foundation's `DateFormatter`.
public enum TimestampLayout: String, Sendable, CaseIterable {
    /// ISO 8601 / RFC 3339 and its relatives: `2026-11-23T09:41:07.123Z`, `2026-11-23T09:41:07+08:00`,
    /// logback's `2026-11-23 09:41:07.123`, Python's `2026-11-23 09:41:07,123`.
    case iso8601
    /// nginx and Apache `$time_local`: `23/Nov/2026:09:41:07 +0000`.
    case httpDate = "httpdate"
    /// BSD syslog `Nov 23 09:41:07` and `Nov  3 09:41:07`, with no year: the year is inferred.
    case syslog
    /// Seconds, milliseconds, microseconds or nanoseconds since the epoch, told apart by size;
    /// `1362692527.009512` too.
    case epoch
    /// Redis: `23 Nov 2026 09:41:07.123`.
    case redis
    /// MySQL 5.x slow and error logs: `161216 10:27:40`, `161216  9:27:40` (yymmdd).
    case mysqlLegacy = "mysql-legacy"
    /// Each of the above in turn.
    case auto
}
