import Foundation

/// `--since`, `--from` and `--to`, turned into a `_time:[… TO …]` filter in UTC so that the server reads
/// the user's local times the way the user meant them.
struct TimeWindow {
    struct Invalid: Error {
        let message: String
    }

    var since: String?
    var from: String?
    var to: String?

    func applied(to query: String) throws -> String {
        guard since != nil || from != nil || to != nil else { return query }
        if since != nil && from != nil { throw Invalid(message: "give --since or --from, not both") }
        var lower = "*"
        if let since {
            guard let seconds = Self.seconds(since) else {
                throw Invalid(message: "--since takes a duration such as 30s, 15m, 2h or 7d, not '\(since)'")
            }
            lower = Self.utc(Date().addingTimeInterval(-seconds))
        } else if let from {
            lower = try Self.instant(from, option: "--from")
        }
        let upper = try to.map { try Self.instant($0, option: "--to") } ?? "*"
        return "(\(query)) _time:[\(lower) TO \(upper)]"
    }

    static func seconds(_ text: String) -> TimeInterval? {
        let units: [(String, TimeInterval)] = [
            ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604_800),
        ]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let amount = Double(text.dropLast(suffix.count)), amount > 0 { return amount * scale }
        }
        return nil
    }

    /// A time with an offset passes as it is; one without is local time.
    static func instant(_ text: String, option: String) throws -> String {
        let hasOffset =
            text.hasSuffix("Z") || text.hasSuffix("z")
            || text.range(of: #"[+-]\d\d:?\d\d$"#, options: .regularExpression) != nil
        if hasOffset && text.count > 10 { return text }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        for format in [
            "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd",
        ] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return utc(date) }
        }
        throw Invalid(
            message: "\(option) takes a time such as 2026-11-23T09:40 or 2026-11-23T09:40:00+08:00, not '\(text)'")
    }

    static func utc(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
