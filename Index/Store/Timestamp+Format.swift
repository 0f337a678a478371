/// Formats nanosecond timestamps as RFC 3339 in UTC, without a calendar object on the hot path.
public enum TimestampFormat {
    /// `2026-11-23T09:41:07.123456789Z`; the fraction is left out when it is zero, and trimmed of zeros.
    public static func rfc3339(_ timestamp: Int64) -> String {
        let day = UTCDay(timestamp: timestamp)
        var rest = timestamp - day.dayNumber * UTCDay.nanosecondsPerDay
        let hour = rest / 3_600_000_000_000
        rest -= hour * 3_600_000_000_000
        let minute = rest / 60_000_000_000
        rest -= minute * 60_000_000_000
        let second = rest / 1_000_000_000
        var nanos = rest - second * 1_000_000_000
        var text = "\(day)T\(two(hour)):\(two(minute)):\(two(second))"
        if nanos > 0 {
            var digits = 9
            while nanos % 10 == 0 {
                nanos /= 10
                digits -= 1
            }
            let fraction = String(nanos)
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return text + "Z"
    }

    private static func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
