/// Parses the timestamp spellings that JSON senders use, into nanoseconds since the epoch (UTC).
public enum TimestampParser {
    /// RFC 3339 / ISO 8601: `2026-11-23T09:41:07.123Z`, `2026-11-23 09:41:07,123+08:00`, `…+0800`.
    /// Without an offset the time is taken as UTC.
    public static func parseISO8601(_ text: some StringProtocol) -> Int64? {
        var bytes = Array(text.utf8)
        while let last = bytes.last, last == UInt8(ascii: " ") { bytes.removeLast() }
        var position = 0
        func number(_ width: Int) -> Int64? {
            guard position + width <= bytes.count else { return nil }
            var value: Int64 = 0
            for index in position..<(position + width) {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            position += width
            return value
        }
        func expect(_ choices: String) -> Bool {
            guard position < bytes.count, choices.utf8.contains(bytes[position]) else { return false }
            position += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            expect("T t"), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
            let second = number(2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var nanos: Int64 = 0
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") || bytes[position] == UInt8(ascii: ",") {
            position += 1
            var digits = 0
            while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
                if digits < 9 { nanos = nanos * 10 + Int64(bytes[position] - UInt8(ascii: "0")) }
                digits += 1
                position += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 where digits < 9 { nanos *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if position < bytes.count {
            if expect("Zz") {
            } else if position < bytes.count,
                bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")
            {
                let sign: Int64 = bytes[position] == UInt8(ascii: "-") ? -1 : 1
                position += 1
                guard let offsetHours = number(2) else { return nil }
                _ = expect(":")
                let offsetMinutes = number(2) ?? 0
                offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            } else {
                return nil
            }
        }
        guard position == bytes.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return seconds * 1_000_000_000 + nanos
    }

    /// A number of seconds, milliseconds, microseconds or nanoseconds since the epoch, told apart by size.
    public static func parseEpoch(_ value: Double) -> Int64? {
        guard value.isFinite, value > 0 else { return nil }
        if value.rounded() == value, value < 9.2e18 { return parseEpoch(integer: Int64(value)) }
        switch value {
        case ..<1e11: return Int64(value * 1e9)
        case ..<1e14: return Int64(value * 1e6)
        case ..<1e17: return Int64(value * 1e3)
        case ..<9.2e18: return Int64(value)
        default: return nil
        }
    }

    /// Whole numbers in integer arithmetic: a double cannot hold nanoseconds exactly.
    public static func parseEpoch(integer whole: Int64) -> Int64? {
        switch whole {
        case ...0: return nil
        case ..<100_000_000_000: return whole * 1_000_000_000
        case ..<100_000_000_000_000: return whole * 1_000_000
        case ..<100_000_000_000_000_000: return whole * 1_000
        default: return whole
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
}
