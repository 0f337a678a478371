import Foundation
import LogqIndex

/// A request on an incident that cannot be done; says why and what to do instead.
public struct IncidentError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case notFound, notAllowed, badRequest }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// The incident workflow: signals from the rules (and from Alertmanager) are grouped into alert groups;
/// a group of a severity the policy names opens an incident, and people move incidents along.
///
/// An actor: the ingest stream, the clock and the HTTP API all reach it concurrently.
public actor IncidentDesk {
    public let policy: IncidentPolicy
    private let engine: SignalEngine
    private let correlator: Correlator
    private let database: IncidentDatabase
    private let clock: @Sendable () -> Int64
    private var groups: [AlertGroup] = []
    /// Changes the notifier has not taken yet (`takeChanges`), in order.
    private var changes: [IncidentChange] = []

    /// What the notifier is told.
    public struct IncidentChange: Sendable {
        public enum Kind: Sendable { case opened, severityRaised, acknowledged, closed, reopened }
        public var kind: Kind
        public var incident: Incident
    }

    /// `clock` gives wall-clock nanoseconds (tests control it).
    public init(
        policy: IncidentPolicy, database: IncidentDatabase,
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1e9) }
    ) {
        self.policy = policy
        self.engine = SignalEngine(policy: policy)
        self.correlator = Correlator(policy: policy)
        self.database = database
        self.clock = clock
    }

    /// What changed since the last call, oldest first: the notifier's queue.
    public func takeChanges() -> [IncidentChange] {
        defer { changes = [] }
        return changes
    }

    public func ingest(_ records: [LogRecord]) {
        engine.ingest(records, arrival: Double(clock()) / 1e9)
    }

    /// Evaluates what the watermark allows and acts on the signals that changed.
    @discardableResult
    public func tick(backlog: Bool = false) throws -> [SignalState] {
        let updates = engine.advance(now: Double(clock()) / 1e9, backlog: backlog)
        for update in updates { try take(update) }
        expireGroups()
        return updates
    }

    public var alertGroups: [AlertGroup] { groups.sorted { $0.since > $1.since } }
    public var lateRecords: Int { engine.lateRecords }
    public var ruleEvaluations: Int { engine.evaluations }
    public var untrackedKeys: Int { engine.untrackedKeys }
    public var watermark: Int64? { engine.currentWatermark }

    // MARK: Signals

    /// A signal that started, changed or ended: the rules', Alertmanager's or the backups', all correlated alike.
    public func take(_ signal: SignalState) throws {
        if let index = groups.firstIndex(where: { $0.signals.contains { $0.key == signal.key } }) {
            let position = groups[index].signals.firstIndex { $0.key == signal.key }!
            let before = groups[index].signals[position]
            if before.phase == .resolved && signal.phase == .firing && !correlator.related(signal, to: groups[index]) {
                groups[index].signals.remove(at: position)
            } else {
                groups[index].signals[position] = signal
                try groupChanged(
                    index, joined: before.phase == .resolved && signal.phase == .firing ? signal : nil,
                    resolved: signal.phase == .resolved && before.phase == .firing ? signal : nil)
                return
            }
        }
        guard signal.phase == .firing else { return }
        let related = groups.indices.filter { correlator.related(signal, to: groups[$0]) }
        var group = AlertGroup(id: Self.groupID(signal), signals: [signal], incidentID: nil)
        for index in related.reversed() {
            let other = groups.remove(at: index)
            group.signals.insert(contentsOf: other.signals, at: 0)
            if let incident = other.incidentID { group.incidentID = min(group.incidentID ?? incident, incident) }
            if other.since < group.since || related.count == 1 { group.id = other.id }
        }
        groups.append(group)
        try groupChanged(groups.count - 1, joined: signal, resolved: nil)
    }

    private static func groupID(_ signal: SignalState) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in "\(signal.key)@\(signal.onset)".utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return "g" + String(hash, radix: 16)
    }

    private func groupChanged(_ index: Int, joined: SignalState?, resolved: SignalState?) throws {
        let group = groups[index]
        if let id = group.incidentID, var incident = try database.incident(id) {
            var events: [TimelineEvent] = []
            let previous = incident.severity
            apply(group, to: &incident)
            if let joined,
                !incident.timeline.contains(where: {
                    $0.kind == .signalJoined && $0.text.hasPrefix(joined.key.description + ":")
                })
            {
                events.append(Self.joinedEvent(joined))
            }
            if let resolved {
                events.append(
                    TimelineEvent(
                        at: resolved.lastActive, kind: .signalResolved, actor: "logqd", text: "\(resolved.key) stopped")
                )
            }
            if incident.severity > previous {
                events.append(
                    TimelineEvent(
                        at: group.lastActive, kind: .severityRaised, actor: "logqd",
                        text: "\(previous.rawValue) → \(incident.severity.rawValue)"))
            }
            if let joined, joined.phase == .firing, incident.status == .resolved {
                events.append(reopen(&incident, because: "\(joined.key) fired again"))
                try database.update(incident, appending: events)
                notify(.reopened, incident)
                return
            }
            try database.update(incident, appending: events)
            if incident.severity > previous { notify(.severityRaised, incident) }
            return
        }
        guard joined != nil, group.isFiring else { return }
        if let reopened = try reopenCandidate(for: group) {
            groups[index].incidentID = reopened.id
            var incident = reopened
            let event = reopen(&incident, because: "the same signals fired again within the grace period")
            apply(group, to: &incident)
            try database.update(incident, appending: [event])
            notify(.reopened, incident)
            return
        }
        if policy.openIncidentsFor.contains(group.severity) {
            _ = try openIncident(from: index, by: "policy (\(group.severity.rawValue) opens an incident at once)")
        }
    }

    /// A resolved incident open again because its signals fired; the event for its timeline.
    private func reopen(_ incident: inout Incident, because reason: String) -> TimelineEvent {
        incident.status = .open
        incident.resolvedAt = nil
        return TimelineEvent(at: clock(), kind: .reopened, actor: "logqd", text: reason)
    }

    private static func joinedEvent(_ signal: SignalState) -> TimelineEvent {
        TimelineEvent(at: signal.onset, kind: .signalJoined, actor: "logqd", text: "\(signal.key): \(signal.summary)")
    }

    private func reopenCandidate(for group: AlertGroup) throws -> Incident? {
        let keys = Set(group.signals.map(\.key))
        let since = group.since - policy.reopenGrace
        return try database.incidents(openedFrom: since - 7 * 86400 * nanosecondsPerSecond).first { incident in
            (incident.status == .resolved) && incident.lastSeen >= since
                && incident.signals.contains { keys.contains($0.key) }
        }
    }

    private func apply(_ group: AlertGroup, to incident: inout Incident) {
        var signals = incident.signals.filter { old in !group.signals.contains { $0.key == old.key } }
        signals.append(contentsOf: group.signals)
        signals.sort { $0.onset == $1.onset ? $0.key < $1.key : $0.onset < $1.onset }
        incident.signals = signals
        incident.severity = max(incident.severity, group.severity)
        incident.services = signals.services
        incident.firstSeen = signals.map(\.onset).min() ?? incident.firstSeen
        incident.lastSeen = max(incident.lastSeen, signals.map(\.lastActive).max() ?? 0)
        incident.rootCauses = correlator.rootCauses(of: signals)
        incident.runbook = Runbook.hints(for: signals)
        incident.category = category(of: incident)
        incident.title = title(of: incident)
    }

    /// The category of the root-cause candidate's signal: a fault is what started it.
    private func category(of incident: Incident) -> FaultCategory {
        guard let top = incident.rootCauses.first else { return incident.category }
        return incident.signals.first { $0.key == top.signal }?.category ?? incident.category
    }

    private func title(of incident: Incident) -> String {
        let worst = incident.signals.filter { $0.severity == incident.severity }.sorted { $0.onset < $1.onset }.first
        var title = worst.map { "\($0.key.signal) on \($0.services.first ?? "?")" } ?? "incident"
        if let cause = incident.rootCauses.first, cause.signal != worst?.key {
            title += ", started by \(cause.signal)"
        }
        return title
    }

    private func expireGroups() {
        guard let watermark = engine.currentWatermark else { return }
        groups.removeAll { !$0.isFiring && watermark - $0.lastActive > policy.correlationWindow }
    }

    // MARK: People

    /// Opens an incident from an alert group that did not open one itself.
    public func openIncident(fromAlert groupID: String, by person: String) throws -> Incident {
        guard let index = groups.firstIndex(where: { $0.id == groupID }) else {
            throw IncidentError(.notFound, "no alert group \(groupID); `logq alerts` lists the current ones")
        }
        if let id = groups[index].incidentID {
            throw IncidentError(.notAllowed, "alert group \(groupID) already has incident \(id)")
        }
        return try openIncident(from: index, by: person)
    }

    private func openIncident(from index: Int, by actor: String) throws -> Incident {
        let group = groups[index]
        var incident = Incident(
            id: 0, title: "", severity: group.severity, category: .application, status: .open, services: [],
            firstSeen: group.since, lastSeen: group.lastActive, openedAt: clock(), acknowledgedAt: nil,
            acknowledgedBy: nil, mitigatedAt: nil, resolvedAt: nil, reviewedAt: nil, onCall: policy.onCall,
            alertGroup: group.id, signals: [], rootCauses: [], runbook: [], timeline: [])
        apply(group, to: &incident)
        incident.timeline = [TimelineEvent(at: incident.openedAt, kind: .opened, actor: actor, text: incident.title)]
        incident.timeline += incident.signals.map(Self.joinedEvent)
        let stored = try database.insert(incident)
        groups[index].incidentID = stored.id
        notify(.opened, stored)
        return stored
    }

    public func incident(_ id: Int64) throws -> Incident {
        guard let incident = try database.incident(id) else {
            throw IncidentError(.notFound, "no incident \(id); `logq incident list` shows them")
        }
        return incident
    }

    public func incidents(activeOnly: Bool = false) throws -> [Incident] {
        try database.incidents(activeOnly: activeOnly)
    }

    public func acknowledge(_ id: Int64, by person: String) throws -> Incident {
        var incident = try incident(id)
        guard incident.status == .open else {
            throw IncidentError(
                .notAllowed, "incident \(id) is \(incident.status.rawValue); only an open incident is acknowledged")
        }
        let now = clock()
        incident.status = .acknowledged
        incident.acknowledgedAt = now
        incident.acknowledgedBy = person
        let event = TimelineEvent(at: now, kind: .acknowledged, actor: person, text: "acknowledged")
        try database.update(incident, appending: [event])
        incident.timeline.append(event)
        notify(.acknowledged, incident)
        return incident
    }

    public func note(_ id: Int64, _ text: String, by person: String) throws -> Incident {
        var incident = try incident(id)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw IncidentError(.badRequest, "a note needs some text")
        }
        let event = TimelineEvent(at: clock(), kind: .note, actor: person, text: text)
        try database.update(incident, appending: [event])
        incident.timeline.append(event)
        return incident
    }

    /// mitigate, resolve, review, or reopen (`.open`).
    public func move(_ id: Int64, to status: IncidentStatus, by person: String) throws -> Incident {
        var incident = try incident(id)
        guard incident.status.allowedNext.contains(status), status != .acknowledged else {
            let allowed = incident.status.allowedNext.map(\.rawValue).sorted().joined(separator: ", ")
            throw IncidentError(
                .notAllowed,
                "incident \(id) is \(incident.status.rawValue) and cannot become \(status.rawValue)"
                    + (allowed.isEmpty ? " (it is closed)" : " (it can become: \(allowed))"))
        }
        let now = clock()
        let from = incident.status
        incident.status = status
        switch status {
        case .mitigated: incident.mitigatedAt = now
        case .resolved: incident.resolvedAt = now
        case .reviewed: incident.reviewedAt = now
        case .open: incident.resolvedAt = nil
        case .acknowledged: break
        }
        let kind: TimelineEvent.Kind = status == .open ? .reopened : .statusChanged
        let event = TimelineEvent(at: now, kind: kind, actor: person, text: "\(from.rawValue) → \(status.rawValue)")
        try database.update(incident, appending: [event])
        incident.timeline.append(event)
        if status == .open { notify(.reopened, incident) }
        if status == .resolved || status == .mitigated { notify(.closed, incident) }
        return incident
    }

    /// Records a notification attempt on the incident's timeline.
    public func recordNotification(_ id: Int64, channel: String, succeeded: Bool, detail: String) throws {
        let incident = try incident(id)
        let event = TimelineEvent(
            at: clock(), kind: succeeded ? .notified : .notificationFailed, actor: channel, text: detail)
        try database.update(incident, appending: [event])
    }

    private func notify(_ kind: IncidentChange.Kind, _ incident: Incident) {
        changes.append(IncidentChange(kind: kind, incident: incident))
    }
}
