/// A calendar day in UTC; segments are grouped by it so that retention and backup act on whole files.
struct UTCDay: Hashable, Comparable, CustomStringConvertible {
    static let nanosecondsPerDay: Int64 = 86_400 * 1_000_000_000

    /// Days since 1970-01-01.
    let dayNumber: Int64

    init(timestamp: Int64) {
        dayNumber = timestamp >= 0 ? timestamp / Self.nanosecondsPerDay : (timestamp + 1) / Self.nanosecondsPerDay - 1
    }

    /// `YYYY-MM-DD`, by Howard Hinnant's civil-from-days algorithm (no calendar object on the hot path).
    var description: String {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    static func < (lhs: UTCDay, rhs: UTCDay) -> Bool { lhs.dayNumber < rhs.dayNumber }
}
