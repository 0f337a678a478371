import Foundation
import LogqParsers
import Testing

@Suite struct TimestampTests {
    static let instant: Int64 = 1_795_426_867_123_000_000  // 2026-11-23T09:41:07.123Z

    @Test(arguments: [
        ("2026-11-23T09:41:07.123Z", TimestampLayout.iso8601, "UTC"),
        ("2026-11-23T17:41:07.123+08:00", .iso8601, "UTC"),
        ("2026-11-23 17:41:07.123", .iso8601, "Asia/Shanghai"),
        ("2026-11-23 04:41:07,123", .iso8601, "America/New_York"),
        ("2026-11-23 11:11:07.123", .iso8601, "+01:30"),
        ("23/Nov/2026:17:41:07.123 +0800", .httpDate, "UTC"),
        ("Nov 23 10:41:07.123", .syslog, "Europe/Berlin"),
        ("23 Nov 2026 09:41:07.123", .redis, "UTC"),
        ("1795426867.123", .epoch, "UTC"),
        ("1795426867123", .epoch, "UTC"),
    ])
    func readsEachFormat(text: String, format: TimestampLayout, zone: String) throws {
        let rule = try #require(TimeZoneRule(identifier: zone))
        #expect(TimestampParser.parse(text, format: format, zone: rule, reference: Self.instant) == Self.instant)
        #expect(TimestampParser.parse(text, format: .auto, zone: rule, reference: Self.instant) == Self.instant)
    }

    @Test func rejectsWhatIsNotATimestamp() {
        for text in ["2026-13-01T00:00:00Z", "2026-02-30 10:00:00", "23/Foo/2026:17:41:07 +0800", "Nov 23", "", "12ab"]
        {
            #expect(TimestampParser.parse(text, format: .auto) == nil, "\(text)")
        }
        #expect(TimestampParser.parse("161216 10:27:40", format: .mysqlLegacy) == 1_481_884_060_000_000_000)
    }

    /// Found by the fuzz targets: times past 2262 (the end of Int64 nanoseconds) are no timestamp, not a crash.
    @Test func timesBeyondInt64NanosecondsAreRefusedNotOverflowed() throws {
        #expect(TimestampParser.parse("2657-11-23T09:41:07Z", format: .auto) == nil)
        #expect(TimestampParser.parse("9999-12-31T23:59:59.999999999Z", format: .iso8601) == nil)
        #expect(TimestampParser.parseEpoch(integer: 99_999_999_999) == nil)
        #expect(TimestampParser.parseEpoch(99_999_999_999.5) == nil)
        #expect(TimestampParser.parse("99999999999.5", format: .epoch) == nil)
        #expect(TimestampParser.parse("2262-04-11T23:47:16Z", format: .iso8601) == 9_223_372_036_000_000_000)
        // Fractional milliseconds past 2262 (`make fuzz`, json-lines: fixtures/fuzz/json-lines/crash-fractional-…).
        #expect(TimestampParser.parseEpoch(9_999_499_999_999.9) == nil)
        // (A double holds that time to within a microsecond.)
        let fractional = try #require(TimestampParser.parseEpoch(1_795_424_400_000.5))
        #expect(abs(fractional - 1_795_424_400_000_500_000) < 1_000)
    }

    /// A syslog time has no year: it takes the year that puts it nearest the time it was received.
    @Test func syslogYearIsInferredAcrossNewYear() throws {
        let newYear = try #require(TimestampParser.parse("2027-01-01T00:00:30Z", format: .iso8601))
        let lateDecember = TimestampParser.parse("Dec 31 23:59:50", format: .syslog, reference: newYear)
        #expect(lateDecember == TimestampParser.parse("2026-12-31T23:59:50Z", format: .iso8601))
    }

    /// Random instants, written by Foundation's DateFormatter in several zones and formats, read back by
    /// our parser. Instants within a few hours of a daylight-saving change are skipped: the wall clock
    /// there is ambiguous.
    @Test func roundTripsAcrossFormatsAndZones() throws {
        let zones = [
            "UTC", "+08:00", "-05:30", "Asia/Shanghai", "America/New_York", "Europe/Berlin", "Australia/Sydney",
        ]
        let layouts: [(String, TimestampLayout)] = [
            ("yyyy-MM-dd HH:mm:ss.SSS", .iso8601), ("yyyy-MM-dd'T'HH:mm:ss.SSSZZZZZ", .iso8601),
            ("dd/MMM/yyyy:HH:mm:ss Z", .httpDate), ("MMM d HH:mm:ss", .syslog), ("d MMM yyyy HH:mm:ss.SSS", .redis),
            ("yyMMdd H:mm:ss", .mysqlLegacy),
        ]
        var generator = SystemRandomNumberGenerator()
        var checked = 0
        for zoneName in zones {
            let rule = try #require(TimeZoneRule(identifier: zoneName))
            let zone = try #require(
                TimeZone(identifier: zoneName) ?? TimeZone(secondsFromGMT: zoneName == "+08:00" ? 28_800 : -19_800))
            for (layout, format) in layouts {
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.timeZone = zone
                formatter.dateFormat = layout
                for _ in 0..<200 {
                    let millis = Int64.random(in: 946_684_800_000...4_000_000_000_000, using: &generator)
                    let date = Date(timeIntervalSince1970: Double(millis) / 1000)
                    let nearChange =
                        zone.nextDaylightSavingTimeTransition(after: date.addingTimeInterval(-10_800))
                        .map { $0.timeIntervalSince(date) < 10_800 } ?? false
                    if nearChange { continue }
                    let precise = layout.contains("SSS")
                    let expected = (precise ? millis : millis / 1000 * 1000) * 1_000_000
                    let text = formatter.string(from: date)
                    let parsed = TimestampParser.parse(text, format: format, zone: rule, reference: expected)
                    #expect(parsed == expected, "\(text) in \(zoneName) as \(format)")
                    checked += 1
                }
            }
        }
        print("timestamp round trips checked: \(checked)")
    }

    @Test func zoneRulesFollowDaylightSaving() throws {
        let newYork = try #require(TimeZoneRule(identifier: "America/New_York"))
        let summer = try #require(TimestampParser.parse("2026-07-01 12:00:00", format: .iso8601, zone: newYork))
        let winter = try #require(TimestampParser.parse("2026-12-01 12:00:00", format: .iso8601, zone: newYork))
        #expect(summer == TimestampParser.parse("2026-07-01T16:00:00Z", format: .iso8601))
        #expect(winter == TimestampParser.parse("2026-12-01T17:00:00Z", format: .iso8601))
        #expect(TimeZoneRule(identifier: "Mars/Olympus") == nil)
        #expect(TimeZoneRule(identifier: "+0800")?.offset(atUTC: 0) == 28_800)
    }
}
