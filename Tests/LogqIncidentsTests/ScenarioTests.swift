import Foundation
import LogqCorpus
import LogqIncidents
import LogqIndex
import Testing

/// The issue's scenario: a day of the platform's logs with a long lock on a MySQL table at 14:00.
@Suite struct ScenarioTests {
    static let faultStart = CorpusGenerator.defaultStart + 5 * 3600 * 1_000_000_000  // 14:00 UTC
    static let fault = CorpusFault(start: faultStart, duration: 20 * 60 * 1_000_000_000)

    static func day(fault: CorpusFault?) -> [LogRecord] {
        var generator = CorpusGenerator(seed: 48, eventsPerSecond: 2, fault: fault)
        let enricher = RecordEnricher()
        var records: [LogRecord] = []
        let end = CorpusGenerator.defaultStart + 24 * 3600 * 1_000_000_000
        while true {
            let event = generator.next()
            guard event.timestamp < end else { break }
            var record = event.record()
            enricher.enrich(&record)
            records.append(record)
        }
        return records
    }

    @Test func theLockYieldsOneCriticalIncidentStartedBySlowQueriesOnItsTable() async throws {
        let clock = ManualClock()
        let started = Date()
        let records = Self.day(fault: Self.fault)
        print("generated \(records.count) in \(Date().timeIntervalSince(started)) s")
        let database = try IncidentDatabase(path: temporaryDirectory("scenario") + "/incidents.sqlite")
        let desk = IncidentDesk(policy: .defaults, database: database, clock: clock.function)
        let updates = try await replay(records, into: desk, clock: clock)
        print("replayed in \(Date().timeIntervalSince(started)) s")
        for update in updates {
            print(
                "signal \(update.phase) \(update.key) \(update.severity) onset=\(update.onset) last=\(update.lastActive) \(update.summary) services=\(update.services)"
            )
        }

        let incidents = try await desk.incidents()
        let groups = await desk.alertGroups
        #expect(
            incidents.count == 1,
            "one incident for one fault: \(incidents.map(\.title)); groups: \(groups.map { ($0.id, $0.signals.map { "\($0.key) \($0.severity) \($0.summary)" }) })"
        )
        let incident = try #require(incidents.first)
        #expect(incident.severity == .critical)
        #expect(incident.firstSeen >= Self.fault.start && incident.firstSeen < Self.fault.end)
        // Its signals are the fault's three symptoms, each present, and nothing else.
        var families: Set<String> = []
        for signal in incident.signals {
            let family = Self.family(of: signal)
            #expect(family != nil, "a signal that is not the fault's: \(signal.key) \(signal.summary)")
            if let family { families.insert(family) }
        }
        #expect(families == ["slow queries", "lock waits", "504s"], "\(incident.signals.map(\.key))")
        let top = try #require(incident.rootCauses.first)
        #expect(top.signal.signal == "slow-queries" && top.signal.labels == ["table=orders"], "\(incident.rootCauses)")
        #expect(incident.category == .data)
        #expect(incident.runbook.map(\.cause).contains("API slow because of slow SQL"))
    }

    @Test func theSameDayWithoutTheFaultOpensNoIncident() async throws {
        let clock = ManualClock()
        let database = try IncidentDatabase(path: temporaryDirectory("noise") + "/incidents.sqlite")
        let desk = IncidentDesk(policy: .defaults, database: database, clock: clock.function)
        try await replay(Self.day(fault: nil), into: desk, clock: clock)
        #expect(try await desk.incidents().isEmpty)
        let groups = await desk.alertGroups
        #expect(groups.allSatisfy { $0.severity < .warning }, "\(groups.flatMap(\.signals).map(\.summary))")
    }

    static func family(of signal: SignalState) -> String? {
        if signal.key.signal == "slow-queries" && signal.key.labels == ["table=orders"] { return "slow queries" }
        if signal.services == ["order"], signal.samples.allSatisfy({ $0.text.hasPrefix("Lock wait timeout") }) {
            return "lock waits"
        }
        if signal.services.allSatisfy({ $0 == "nginx" || $0 == "gateway" }),
            signal.key.signal == "api-errors" || signal.samples.allSatisfy({ $0.text.contains("504") })
        {
            return "504s"
        }
        return nil
    }
}
