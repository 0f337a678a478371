import Foundation
import LogqIncidents
import LogqIndex
import Testing

/// The rule kinds the scenario does not reach: a silent service, and a new or long-unseen error template.
@Suite struct EngineRuleTests {
    static let start = Int64(1_795_424_400) * 1_000_000_000
    static let second: Int64 = 1_000_000_000

    static func record(_ at: Int64, _ service: String, _ message: String, level: LogLevel = .error) -> LogRecord {
        var record = LogRecord(timestamp: at, level: level, service: service, source: "test", message: message)
        RecordEnricher().enrich(&record)
        return record
    }

    static func run(_ yaml: String, _ records: [LogRecord]) throws -> [SignalState] {
        let engine = SignalEngine(policy: try IncidentPolicy.parse(yaml: yaml))
        var updates: [SignalState] = []
        for batch in stride(from: 0, to: records.count, by: 100) {
            engine.ingest(Array(records[batch..<min(records.count, batch + 100)]), arrival: 0)
            updates += engine.advance(now: 0)
        }
        return updates + engine.advance(now: 3600)
    }

    @Test func aServiceThatStopsLoggingIsNoticedAfterTheWindow() throws {
        var records: [LogRecord] = []
        for tick in 0..<360 {  // one hour, every 10 s
            let at = Self.start + Int64(tick) * 10 * Self.second
            records.append(Self.record(at, "inventory", "Stock reserved sku=\(tick)", level: .info))
            if tick < 120 { records.append(Self.record(at + 1, "payment", "Charged order=\(tick)", level: .info)) }
        }
        let updates = try Self.run(
            "rules:\n  - { name: silent, kind: absent, by: [service], window: 10m, severity: warning }\n", records)
        let fired = updates.filter { $0.phase == .firing }
        #expect(fired.map(\.key.description) == ["silent{service=payment}"], "\(fired.map(\.summary))")
        let silentFrom = Self.start + 1190 * Self.second  // payment's last record, at 20 min
        let firedAt = try #require(fired.first?.firedAt)
        #expect(firedAt >= silentFrom + 600 * Self.second && firedAt <= silentFrom + 620 * Self.second, "\(firedAt)")
    }

    @Test func aNewTemplateAndOneUnseenForLongerThanTheLookbackFire() throws {
        var records: [LogRecord] = []
        records.append(Self.record(Self.start, "order", "Coupon service unreachable host=c1"))
        for tick in 0..<(4 * 360) {  // four hours of one familiar error, every 10 s
            records.append(
                Self.record(Self.start + Int64(tick) * 10 * Self.second + 5, "order", "Payment failed order=\(tick)"))
        }
        // After the learning hour: a never-seen template, and the coupon error again, 3 h after its only sighting.
        records.append(
            Self.record(Self.start + 7200 * Self.second + 7, "order", "Disk quota exceeded for volume=v\(1)"))
        records.append(
            Self.record(Self.start + 3 * 3600 * Self.second + 7, "order", "Coupon service unreachable host=c9"))
        records.sort { $0.timestamp < $1.timestamp }
        let updates = try Self.run(
            "rules:\n  - { name: new-error, kind: new_fingerprint, query: 'level:error', lookback: 2h, window: 10m, severity: info }\n",
            records)
        let fired = updates.filter { $0.phase == .firing }
        let samples = fired.flatMap(\.samples).map(\.text)
        #expect(fired.count == 2, "\(fired.map(\.summary)) \(samples)")
        #expect(samples.contains { $0.hasPrefix("Disk quota exceeded") })
        #expect(samples.contains { $0.hasPrefix("Coupon service unreachable") })
        #expect(!samples.contains { $0.hasPrefix("Payment failed") }, "a familiar template is not new")
    }
}
