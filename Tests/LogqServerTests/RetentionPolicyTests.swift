import Foundation
import LogqIndex
import LogqQuery
import Testing

@testable import LogqServer

@Suite struct RetentionPolicyTests {
    static let second: Int64 = 1_000_000_000
    static let day = 86_400 * second
    /// The clock of these tests: 2026-11-29T00:00:00Z.
    static let now: Int64 = 1_795_910_400 * second

    static func policy() throws -> RetentionPolicy {
        var policy = RetentionPolicy()
        policy.defaultKeepSeconds = 90 * 86_400
        policy.rules = [
            .init(
                match: "level:debug OR level:trace", query: try Query.parse("level:debug OR level:trace"),
                keepSeconds: 7 * 86_400),
            .init(match: "service:payment", query: try Query.parse("service:payment"), keepSeconds: 365 * 86_400),
        ]
        return policy
    }

    static func segment(_ className: String, daysOld: Int64, bytes: Int = 1000, sequence: Int = 1) -> SegmentSummary {
        let newest = now - daysOld * day
        return SegmentSummary(
            path: "segments/day-\(daysOld)/\(className)/\(sequence).seg", recordCount: 10,
            minTime: newest - 3600 * second,
            maxTime: newest, byteCount: bytes)
    }

    @Test func theFirstMatchingRuleGivesTheClassAndItsNameIsStable() throws {
        let policy = try Self.policy()
        let debugPayment = LogRecord(timestamp: 0, level: .debug, service: "payment", message: "x")
        let payment = LogRecord(timestamp: 0, level: .error, service: "payment", message: "x")
        let order = LogRecord(timestamp: 0, level: .error, service: "order", message: "x")
        #expect(policy.className(for: debugPayment) == policy.rules[0].className)
        #expect(policy.className(for: payment) == policy.rules[1].className)
        #expect(policy.className(for: order) == RetentionClassName.default)
        // Named after the query's text: the same on every machine and run, whatever the rule's keep.
        #expect(policy.rules[1].className == "r5c9155dd7b")
        #expect(RetentionClassName.isValid(policy.rules[0].className))
        let longer = RetentionPolicy.Rule(
            match: "service:payment", query: try Query.parse("service:payment"), keepSeconds: 1)
        #expect(longer.className == policy.rules[1].className)
    }

    @Test func segmentsExpireByTheAgeOfTheirNewestRecordPerClass() throws {
        let policy = try Self.policy()
        let debug = policy.rules[0].className
        let payment = policy.rules[1].className
        let segments = [
            Self.segment(debug, daysOld: 6), Self.segment(debug, daysOld: 8), Self.segment(payment, daysOld: 100),
            Self.segment(payment, daysOld: 366), Self.segment("c0", daysOld: 89), Self.segment("c0", daysOld: 91),
            // A class whose rule is gone is kept as long as the default.
            Self.segment("r0000000000", daysOld: 91), Self.segment("r0000000000", daysOld: 30),
        ]
        let expired = policy.expiries(of: segments, now: Self.now)
        #expect(expired.allSatisfy { $0.reason == .age })
        #expect(
            Set(expired.map(\.segment.path)) == [
                segments[1].path, segments[3].path, segments[5].path, segments[6].path,
            ])
        // Exactly at the edge the segment stays: it expires once its newest record is older than keep.
        #expect(policy.expiries(of: [Self.segment(debug, daysOld: 7)], now: Self.now).isEmpty)
        #expect(policy.expiries(of: [Self.segment(debug, daysOld: 7)], now: Self.now + 1).count == 1)
    }

    @Test func beyondTheDiskCapTheOldestGoFirstWhateverTheirClass() throws {
        var policy = try Self.policy()
        policy.maxDiskBytes = 2500
        let payment = policy.rules[1].className
        let segments = [
            Self.segment(payment, daysOld: 50, sequence: 1), Self.segment("c0", daysOld: 3, sequence: 2),
            Self.segment("c0", daysOld: 40, sequence: 3), Self.segment("c0", daysOld: 95, sequence: 4),
        ]
        let expired = policy.expiries(of: segments, now: Self.now)
        // The 95-day segment is past its keep; of the 3,000 bytes left, the 50-day payment one goes.
        #expect(expired.map(\.segment.path) == [segments[3].path, segments[0].path])
        #expect(expired.map(\.reason) == [.age, .diskCap])
    }

    @Test func configurationReadsThePoliciesAndNamesEachMistake() throws {
        let directory = NSTemporaryDirectory() + "logq-config-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = directory + "/good.yaml"
        try """
        retention:
          default: 30d
          rules:
            - { match: 'level:debug OR level:trace', keep: 7d }
          max_disk: 50GiB
          check_interval: 5m
        backup:
          dir: /var/backups/logq
          at: "02:30"
          time_zone: Asia/Shanghai
          keep: 90d
          verify: weekly
          rate_limit: 100MiB/s
        """.write(toFile: good, atomically: true, encoding: .utf8)
        let configuration = try ServerConfiguration.load(file: good)
        #expect(configuration.retention.defaultKeepSeconds == 30 * 86_400)
        #expect(configuration.retention.rules.map(\.keepSeconds) == [7 * 86_400])
        #expect(configuration.retention.maxDiskBytes == 50 << 30)
        #expect(configuration.retention.checkIntervalSeconds == 300)
        #expect(configuration.backup?.directory == "/var/backups/logq")
        #expect(configuration.backup.map { [$0.hour, $0.minute] } == [2, 30])
        #expect(configuration.backup?.bytesPerSecond == 100 << 20)
        #expect(configuration.configFile == good)

        let bad = directory + "/bad.yaml"
        try """
        retention:
          default: forever
          rules:
            - { match: 'level:(debug', keep: 7d }
            - { match: 'service:payment', keep: 7 days }
          max_disk: lots
        backup:
          at: "25:00"
        """.write(toFile: bad, atomically: true, encoding: .utf8)
        do {
            _ = try ServerConfiguration.load(file: bad)
            Issue.record("the bad configuration was accepted")
        } catch let error as ConfigurationError {
            let text = error.description
            for key in [
                "retention.default", "retention.rules[0].match", "retention.rules[1].keep", "retention.max_disk",
                "backup.dir",
            ] {
                #expect(text.contains(key), "no problem reported for \(key): \(text)")
            }
        }
    }

    @Test func theDailyBackupRunsAtItsTimeInItsZone() throws {
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        // 2026-11-29T17:00Z is 01:00 in Shanghai: the next 02:00 there is 18:00Z the same day.
        let before = Date(timeIntervalSince1970: 1_795_971_600)
        let next = BackupScheduleService.nextRun(after: before, hour: 2, minute: 0, in: zone)
        #expect(next == Date(timeIntervalSince1970: 1_795_975_200))
        // Just after it, the next run is a day later.
        #expect(
            BackupScheduleService.nextRun(after: next, hour: 2, minute: 0, in: zone) == next.addingTimeInterval(86_400))
    }
}
