import Foundation
import LogqIncidents
import Testing

@Suite struct WorkflowTests {
    @Test func statusChangesFollowTheProcessAndRefuseTheRestWithAReason() async throws {
        let clock = ManualClock()
        let (desk, id) = try await NotifierTests.deskWithIncident(severity: .critical, clock: clock)
        await #expect(throws: IncidentError.self) { _ = try await desk.move(id, to: .reviewed, by: "bob") }
        _ = try await desk.acknowledge(id, by: "alice")
        await #expect(throws: IncidentError.self) { _ = try await desk.acknowledge(id, by: "alice") }
        _ = try await desk.move(id, to: .mitigated, by: "alice")
        _ = try await desk.move(id, to: .resolved, by: "alice")
        do {
            _ = try await desk.move(id, to: .resolved, by: "alice")
            Issue.record("resolving a resolved incident must fail")
        } catch let error as IncidentError {
            #expect(error.kind == .notAllowed)
            #expect(error.message.contains("is resolved and cannot become resolved"))
        }
        _ = try await desk.move(id, to: .reviewed, by: "carol")
        do {
            _ = try await desk.move(id, to: .open, by: "carol")
            Issue.record("a reviewed incident is closed")
        } catch let error as IncidentError {
            #expect(error.message.contains("(it is closed)"))
        }
        await #expect(throws: IncidentError.self) { _ = try await desk.note(id, "  ", by: "carol") }
        await #expect(throws: IncidentError.self) { _ = try await desk.incident(999) }
        let incident = try await desk.incident(id)
        #expect(incident.status == .reviewed)
        #expect(
            incident.timeline.map(\.kind) == [
                .opened, .signalJoined, .acknowledged, .statusChanged, .statusChanged, .statusChanged,
            ])
    }

    @Test func aSignalFiringAgainWithinTheGraceReopensItsIncident() async throws {
        let clock = ManualClock()
        let (desk, id) = try await NotifierTests.deskWithIncident(severity: .critical, clock: clock)
        var signal = try await desk.incident(id).signals[0]
        signal.phase = .resolved
        try await desk.take(signal)
        _ = try await desk.move(id, to: .resolved, by: "alice")
        clock.advance(seconds: 600)
        signal.phase = .firing
        signal.onset = clock.now
        signal.lastActive = clock.now
        try await desk.take(signal)
        let incidents = try await desk.incidents()
        #expect(incidents.count == 1)
        #expect(incidents.first?.status == .open)
        #expect(incidents.first?.timeline.contains { $0.kind == .reopened } == true)
    }

    @Test func alertmanagerPayloadsAreReadAndBadOnesRefusedWithTheirReason() throws {
        let payload = """
            {"version":"4","status":"firing","receiver":"logq","groupLabels":{},"commonLabels":{},
             "alerts":[
              {"status":"firing","labels":{"alertname":"RedisDown","service":"redis","severity":"page"},
               "annotations":{"summary":"redis-master is down"},"startsAt":"2026-11-23T14:00:05.123Z",
               "endsAt":"0001-01-01T00:00:00Z","fingerprint":"abc"},
              {"status":"resolved","labels":{"alertname":"DiskFull","instance":"db-01:9100"},
               "startsAt":"2026-11-23T13:00:00Z","endsAt":"2026-11-23T13:30:00Z"}]}
            """
        let signals = try AlertmanagerWebhook.signals(from: Data(payload.utf8), receivedAt: 0)
        #expect(signals.count == 2)
        #expect(signals[0].key.description == "alertmanager:RedisDown{service=redis}")
        #expect(signals[0].severity == .critical && signals[0].phase == .firing && signals[0].services == ["redis"])
        #expect(abs(signals[0].onset - 1_795_442_405_123_000_000) < 1000)
        #expect(signals[1].phase == .resolved && signals[1].severity == .warning)
        #expect(signals[1].lastActive == 1_795_440_600_000_000_000)
        for (body, reason) in [
            ("not json", "not valid JSON"), ("{\"alerts\":3}", "wrong type"), ("{}", "'alerts' is missing"),
            ("{\"version\":\"3\",\"alerts\":[]}", "version 3"),
            ("{\"alerts\":[{\"status\":\"firing\",\"labels\":{},\"startsAt\":\"x\"}]}", "no alertname"),
            (
                "{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\"},\"startsAt\":\"yesterday\"}]}",
                "not an RFC 3339 time"
            ),
        ] {
            do {
                _ = try AlertmanagerWebhook.signals(from: Data(body.utf8), receivedAt: 0)
                Issue.record("accepted \(body)")
            } catch {
                #expect(error.message.contains(reason), "\(body): \(error.message)")
            }
        }
    }

    @Test func rulesWithMistakesAreRefusedNamingEachOne() throws {
        let yaml = """
            incidents:
              correlation_window: soon
              rules:
                - { name: a, kind: threshold, query: 'level:error (', window: 5m, severity: critical }
                - { name: b, kind: ratio, query: 'status:>=500', window: 5m, severity: warning }
                - { name: c, kind: quantile, query: '*', field: t, quantile: 95, window: 5m, severity: info }
                - { name: d, kind: nonsense, window: 5m, severity: info }
                - { name: e, query: '*', window: 5m, severity: urgent }
                - { name: f, query: '* | count', window: 5m, severity: info }
            """
        do {
            _ = try IncidentPolicy.parse(yaml: yaml)
            Issue.record("accepted a policy with mistakes")
        } catch {
            let text = error.problems.joined(separator: "\n")
            for expected in [
                "incidents.correlation_window", "rules[a].query", "rules[b].of", "rules[c].quantile", "rules[d].kind",
                "rules[e].severity", "rules[f].query: a rule's query is a filter",
            ] {
                #expect(text.contains(expected), "\(expected) in:\n\(text)")
            }
        }
        #expect(IncidentPolicy.defaults.rules.count == 12)
    }
}

@Suite struct PolicyDefaultsTests {
    @Test func aSectionReplacesOnlyTheKeysItHas() throws {
        let policy = try IncidentPolicy.parse(yaml: "incidents:\n  source_idle: 2s\n")
        #expect(policy.sourceIdleSeconds == 2)
        #expect(policy.topology == IncidentPolicy.defaults.topology && !policy.topology.isEmpty)
        #expect(policy.rules == IncidentPolicy.defaults.rules)
        let replaced = try IncidentPolicy.parse(yaml: "topology: { a: [b] }\n")
        #expect(replaced.topology == ["a": ["b"]])
        #expect(replaced.relatedServices(of: "b") == ["a", "b"])
        #expect(replaced.depth(of: "b") == 1 && replaced.depth(of: "a") == 0)
    }
}
