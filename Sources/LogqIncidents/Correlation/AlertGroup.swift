/// Firing signals that belong together: close in time, and on one service, one trace, or services that
/// call each other. On-call sees one group per fault, and a group opens at most one incident.
public struct AlertGroup: Sendable, Codable, Equatable {
    public var id: String
    public var signals: [SignalState]
    public var incidentID: Int64?

    public var severity: Severity { signals.filter { $0.phase == .firing }.map(\.severity).max() ?? .info }
    public var since: Int64 { signals.map(\.onset).min() ?? 0 }
    public var lastActive: Int64 { signals.map(\.lastActive).max() ?? 0 }
    public var isFiring: Bool { signals.contains { $0.phase == .firing } }
    public var services: [String] { signals.sorted(by: { $0.onset < $1.onset }).services }
}

extension [SignalState] {
    /// The signals' services, each once, in the order the signals come.
    var services: [String] {
        var seen: [String] = []
        for signal in self { for service in signal.services where !seen.contains(service) { seen.append(service) } }
        return seen
    }
}

/// The grouping rule, kept apart from the workflow so that it can be read and tested on its own.
struct Correlator {
    let policy: IncidentPolicy

    func related(_ signal: SignalState, _ other: SignalState) -> Bool {
        let window = policy.correlationWindow
        guard signal.onset <= other.lastActive + window, other.onset <= signal.lastActive + window else {
            return false
        }
        if !Set(signal.traceIDs).isDisjoint(with: other.traceIDs) { return true }
        for service in signal.services {
            let reach = policy.relatedServices(of: service)
            if other.services.contains(where: reach.contains) { return true }
        }
        return false
    }

    func related(_ signal: SignalState, to group: AlertGroup) -> Bool {
        group.signals.contains { related(signal, $0) }
    }

    /// Candidates for what started the fault: the deepest service in the call chain first, then the
    /// earliest onset.
    func rootCauses(of signals: [SignalState]) -> [RootCauseCandidate] {
        let candidates = signals.map { signal -> RootCauseCandidate in
            let service = signal.services.first ?? ""
            let depth = policy.depth(of: service)
            var reason = "\(signal.summary); first at onset, \(signal.count) records"
            if !signal.statements.isEmpty {
                let top = signal.statements.sorted { $0.value > $1.value }.prefix(3)
                reason += "; statements: " + top.map { "\($0.key) (\($0.value))" }.joined(separator: "; ")
            }
            return RootCauseCandidate(
                signal: signal.key, service: service, depth: depth, onset: signal.onset, reason: reason)
        }
        return candidates.sorted {
            if $0.depth != $1.depth { return $0.depth > $1.depth }
            if $0.onset != $1.onset { return $0.onset < $1.onset }
            return $0.signal < $1.signal
        }
    }
}
