/// Parses timestamps into nanoseconds since the epoch (UTC). Zone-less spellings are read in a
/// `TimeZoneRule`; a year-less syslog time takes the year that puts it closest to a reference time.
public enum TimestampParser {
    /// Nanoseconds since the epoch, or nil when `bytes` is not (entirely) a timestamp in `format`.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, format: TimestampLayout, zone: TimeZoneRule = .utc, reference: Int64 = 0
    ) -> Int64? {
        var cursor = Cursor(bytes: bytes)
        cursor.trimTrailingSpaces()
        switch format {
        case .iso8601: return iso8601(&cursor, zone: zone)
        case .httpDate: return httpDate(&cursor)
        case .syslog: return syslog(&cursor, zone: zone, reference: reference)
        case .epoch: return epoch(&cursor)
        case .redis: return redis(&cursor, zone: zone)
        case .mysqlLegacy: return mysqlLegacy(&cursor, zone: zone)
        case .auto:
            for candidate in [TimestampLayout.iso8601, .httpDate, .syslog, .redis, .mysqlLegacy, .epoch] {
                if let value = parse(bytes, format: candidate, zone: zone, reference: reference) { return value }
            }
            return nil
        }
    }

    public static func parse(
        _ text: String, format: TimestampLayout, zone: TimeZoneRule = .utc, reference: Int64 = 0
    ) -> Int64? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0), format: format, zone: zone, reference: reference) }
    }

    /// RFC 3339 / ISO 8601, read as UTC when it has no offset (what JSON senders mean).
    public static func parseISO8601(_ text: some StringProtocol) -> Int64? {
        parse(String(text), format: .iso8601)
    }

    // MARK: formats

    private static func iso8601(_ cursor: inout Cursor, zone: TimeZoneRule) -> Int64? {
        // nginx's error log writes `2026/11/23 09:41:07`: the same shape with slashes.
        guard let year = cursor.digits(4), let separator = cursor.next(),
            separator == UInt8(ascii: "-")
                || separator == UInt8(ascii: "/"),
            let month = cursor.digits(2), cursor.skip(Unicode.Scalar(separator)),
            let day = cursor.digits(2), cursor.skip("T") || cursor.skip("t") || cursor.skip(" "),
            let clock = cursor.clock()
        else { return nil }
        let nanos = cursor.fraction()
        guard let nanos else { return nil }
        let offset: Int64?
        if cursor.atEnd {
            offset = nil
        } else if cursor.skip("Z") || cursor.skip("z") {
            offset = 0
        } else {
            _ = cursor.skip(" ")
            guard let explicit = cursor.offset() else { return nil }
            offset = explicit
        }
        guard cursor.atEnd else { return nil }
        return assemble(
            year: year, month: month, day: day, clock: clock, nanos: nanos, offset: offset, zone: zone)
    }

    private static func httpDate(_ cursor: inout Cursor) -> Int64? {
        guard let day = cursor.digits(2), cursor.skip("/"), let month = cursor.monthName(), cursor.skip("/"),
            let year = cursor.digits(4), cursor.skip(":"), let clock = cursor.clock(), let nanos = cursor.fraction(),
            cursor.skip(" "), let offset = cursor.offset(), cursor.atEnd
        else { return nil }
        return assemble(year: year, month: month, day: day, clock: clock, nanos: nanos, offset: offset, zone: .utc)
    }

    private static func syslog(_ cursor: inout Cursor, zone: TimeZoneRule, reference: Int64) -> Int64? {
        guard let month = cursor.monthName(), cursor.skip(" ") else { return nil }
        _ = cursor.skip(" ")
        guard let day = cursor.digits(1...2), cursor.skip(" "), let clock = cursor.clock(),
            let nanos = cursor.fraction(), cursor.atEnd
        else { return nil }
        let referenceYear = civilYear(ofUTC: reference / 1_000_000_000 + zone.offset(atUTC: reference / 1_000_000_000))
        var best: Int64?
        for year in (referenceYear - 1)...(referenceYear + 1) {
            guard
                let candidate = assemble(
                    year: year, month: month, day: day, clock: clock, nanos: nanos, offset: nil, zone: zone)
            else { continue }
            if best == nil || abs(candidate - reference) < abs(best! - reference) { best = candidate }
        }
        return best
    }

    private static func redis(_ cursor: inout Cursor, zone: TimeZoneRule) -> Int64? {
        guard let day = cursor.digits(1...2), cursor.skip(" "), let month = cursor.monthName(), cursor.skip(" "),
            let year = cursor.digits(4), cursor.skip(" "), let clock = cursor.clock(), let nanos = cursor.fraction(),
            cursor.atEnd
        else { return nil }
        return assemble(year: year, month: month, day: day, clock: clock, nanos: nanos, offset: nil, zone: zone)
    }

    private static func mysqlLegacy(_ cursor: inout Cursor, zone: TimeZoneRule) -> Int64? {
        guard let year = cursor.digits(2), let month = cursor.digits(2), let day = cursor.digits(2),
            cursor.skip(" ")
        else { return nil }
        _ = cursor.skip(" ")
        guard let hour = cursor.digits(1...2), cursor.skip(":"), let minute = cursor.digits(2), cursor.skip(":"),
            let second = cursor.digits(2), cursor.atEnd
        else { return nil }
        return assemble(
            year: 2000 + year, month: month, day: day, clock: (hour, minute, second), nanos: 0, offset: nil,
            zone: zone)
    }

    private static func epoch(_ cursor: inout Cursor) -> Int64? {
        guard let whole = cursor.digits(1...19) else { return nil }
        if cursor.atEnd { return parseEpoch(integer: whole) }
        guard cursor.skip("."), let fraction = cursor.fraction(afterPoint: true), cursor.atEnd,
            whole < 100_000_000_000
        else { return nil }
        return scaled(whole, by: 1_000_000_000).flatMap { sum($0, fraction) }
    }

    /// A number of seconds, milliseconds, microseconds or nanoseconds since the epoch, told apart by size.
    public static func parseEpoch(_ value: Double) -> Int64? {
        guard value.isFinite, value > 0 else { return nil }
        if value.rounded() == value, value < 9.2e18 { return parseEpoch(integer: Int64(value)) }
        let nanoseconds: Double
        switch value {
        case ..<9.2e9: nanoseconds = value * 1e9
        case ..<1e11: return nil
        case ..<1e14: nanoseconds = value * 1e6
        case ..<1e17: nanoseconds = value * 1e3
        default: nanoseconds = value
        }
        // Past 2262 in nanoseconds (Int64's end) is not a time: 9999499999999.9 "microseconds" trapped here.
        return nanoseconds < 9.2e18 ? Int64(nanoseconds) : nil
    }

    /// Whole numbers in integer arithmetic: a double cannot hold nanoseconds exactly.
    public static func parseEpoch(integer whole: Int64) -> Int64? {
        switch whole {
        case ...0: return nil
        case ..<100_000_000_000: return scaled(whole, by: 1_000_000_000)
        case ..<100_000_000_000_000: return scaled(whole, by: 1_000_000)
        case ..<100_000_000_000_000_000: return scaled(whole, by: 1_000)
        default: return whole
        }
    }

    /// Nanoseconds in an Int64 end in 2262: seconds beyond are no time we can keep, never an overflow.
    static func scaled(_ value: Int64, by factor: Int64) -> Int64? {
        let (product, overflowed) = value.multipliedReportingOverflow(by: factor)
        return overflowed ? nil : product
    }

    static func sum(_ a: Int64, _ b: Int64) -> Int64? {
        let (total, overflowed) = a.addingReportingOverflow(b)
        return overflowed ? nil : total
    }

    // MARK: calendar

    private static func assemble(
        year: Int64, month: Int64, day: Int64, clock: (Int64, Int64, Int64), nanos: Int64, offset: Int64?,
        zone: TimeZoneRule
    ) -> Int64? {
        let (hour, minute, second) = clock
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60,
            second <= 60
        else { return nil }
        let local = daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        let utc = offset.map { local - $0 } ?? zone.utcSeconds(fromLocal: local)
        // Nanoseconds in an Int64 reach only 1677-09-21 to 2262-04-11: a year outside is no timestamp we
        // can keep (the line keeps its receive time), never an overflow (found by the syslog fuzz target).
        return scaled(utc, by: 1_000_000_000).flatMap { sum($0, nanos) }
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Howard Hinnant's days-from-civil.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil year of a count of seconds since the epoch (Hinnant's civil-from-days, year only).
    static func civilYear(ofUTC seconds: Int64) -> Int64 {
        let days = (seconds >= 0 ? seconds : seconds - 86_399) / 86_400 + 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        return yearOfEra + era * 400 + (monthIndex >= 10 ? 1 : 0)
    }
}

/// Reads a timestamp's parts from bytes.
private struct Cursor {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    var end: Int

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        end = bytes.count
    }

    var atEnd: Bool { position == end }

    mutating func trimTrailingSpaces() {
        while end > position, bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
    }

    mutating func next() -> UInt8? {
        guard position < end else { return nil }
        position += 1
        return bytes[position - 1]
    }

    mutating func skip(_ character: Unicode.Scalar) -> Bool {
        guard position < end, bytes[position] == UInt8(ascii: character) else { return false }
        position += 1
        return true
    }

    mutating func digits(_ width: Int) -> Int64? { digits(width...width) }

    mutating func digits(_ widths: ClosedRange<Int>) -> Int64? {
        var value: Int64 = 0
        var count = 0
        while position < end, count < widths.upperBound, bytes[position] &- UInt8(ascii: "0") < 10 {
            value = value * 10 + Int64(bytes[position] &- UInt8(ascii: "0"))
            position += 1
            count += 1
        }
        return widths.contains(count) ? value : nil
    }

    /// `HH:mm:ss`.
    mutating func clock() -> (Int64, Int64, Int64)? {
        guard let hour = digits(2), skip(":"), let minute = digits(2), skip(":"), let second = digits(2) else {
            return nil
        }
        return (hour, minute, second)
    }

    /// An optional `.123` or `,123` (any number of digits), as nanoseconds; nil only when malformed.
    mutating func fraction(afterPoint: Bool = false) -> Int64? {
        if !afterPoint {
            guard position < end, bytes[position] == UInt8(ascii: ".") || bytes[position] == UInt8(ascii: ",")
            else { return 0 }
            position += 1
        }
        var nanos: Int64 = 0
        var count = 0
        while position < end, bytes[position] &- UInt8(ascii: "0") < 10 {
            if count < 9 { nanos = nanos * 10 + Int64(bytes[position] &- UInt8(ascii: "0")) }
            count += 1
            position += 1
        }
        guard count > 0 else { return nil }
        for _ in min(count, 9)..<9 { nanos *= 10 }
        return nanos
    }

    /// `+08:00`, `+0800`, `-05`, `Z`, in seconds east of UTC.
    mutating func offset() -> Int64? {
        if skip("Z") { return 0 }
        guard position < end, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") else {
            return nil
        }
        let sign: Int64 = bytes[position] == UInt8(ascii: "-") ? -1 : 1
        position += 1
        guard let hours = digits(2), hours <= 18 else { return nil }
        _ = skip(":")
        let minutes = digits(2) ?? 0
        guard minutes < 60 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }

    /// `Jan` … `Dec`, any case.
    mutating func monthName() -> Int64? {
        guard position + 3 <= end else { return nil }
        let packed =
            UInt32(bytes[position] | 0x20) << 16 | UInt32(bytes[position + 1] | 0x20) << 8
            | UInt32(bytes[position + 2] | 0x20)
        guard let month = Cursor.months.firstIndex(of: packed) else { return nil }
        position += 3
        return Int64(month + 1)
    }

    static let months: [UInt32] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        .map { name in name.utf8.reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
}
