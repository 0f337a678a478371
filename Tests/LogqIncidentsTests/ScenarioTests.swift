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

/// Files replayed at once, each in its own order and racing the others, give the signals of live arrival.
@Suite struct EventTimeTests {
    struct Fired: Hashable, CustomStringConvertible {
        var key: SignalKey
        var phase: SignalState.Phase
        var severity: Severity
        var onset: Int64
        var firedAt: Int64
        var description: String { "\(key) \(phase) \(severity) \(onset) \(firedAt)" }
    }

    @Test func racingSourcesGiveTheSignalsOfInOrderArrival() throws {
        let from = ScenarioTests.faultStart - 2 * 3600 * 1_000_000_000
        let to = ScenarioTests.faultStart + 2 * 3600 * 1_000_000_000
        let records = ScenarioTests.day(fault: ScenarioTests.fault).filter { $0.timestamp >= from && $0.timestamp < to }

        let inOrder = Self.replay([records.map { ($0, "live") }], seed: 0)

        // Three files: nginx's access log, MySQL's slow log, the applications' logs.
        var files: [[(LogRecord, String)]] = [[], [], []]
        for record in records {
            let file = record.service == "nginx" ? 0 : (record.service == "mysql" ? 1 : 2)
            files[file].append((record, "file-\(file)"))
        }
        let racing = Self.replay(files, seed: 11)
        #expect(!inOrder.isEmpty)
        #expect(
            inOrder == racing,
            "only in order: \(inOrder.subtracting(racing)); only racing: \(racing.subtracting(inOrder))")
    }

    /// Feeds each file in its own order, in chunks of 20…400 records, picking the next file at random.
    static func replay(_ files: [[(LogRecord, String)]], seed: UInt64) -> Set<Fired> {
        let engine = SignalEngine(policy: .defaults)
        var positions = files.map { _ in 0 }
        var random = seed &+ 0x9E37_79B9_7F4A_7C15
        var arrival = 0.0
        var fired: Set<Fired> = []
        func record(_ updates: [SignalState]) {
            for update in updates {
                fired.insert(
                    Fired(
                        key: update.key, phase: update.phase, severity: update.severity, onset: update.onset,
                        firedAt: update.firedAt))
            }
        }
        while let open = Optional(files.indices.filter { positions[$0] < files[$0].count }), !open.isEmpty {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let file = open[Int(random >> 33) % open.count]
            let size = 20 + Int((random >> 20) % 381)
            let end = min(files[file].count, positions[file] + size)
            let chunk = files[file][positions[file]..<end].map { record, source in
                var record = record
                record.source = source
                return record
            }
            positions[file] = end
            engine.ingest(chunk, arrival: arrival)
            arrival += 0.01
            record(engine.advance(now: arrival))
        }
        record(engine.advance(now: arrival + 3600))
        return fired
    }
}
