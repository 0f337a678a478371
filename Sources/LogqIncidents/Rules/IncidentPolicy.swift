import LogqQuery

/// The `incidents:` section: rules, how signals are correlated into groups, and which groups open incidents.
public struct IncidentPolicy: Sendable, Equatable {
    public var rules: [AlertRule]
    /// Signals whose active spans come within this many nanoseconds of each other may join one group.
    public var correlationWindow: Int64 = 10 * 60 * nanosecondsPerSecond
    /// A signal that fires again this soon after its incident was resolved reopens that incident.
    public var reopenGrace: Int64 = 30 * 60 * nanosecondsPerSecond
    /// A service → the services it calls. Signals on services joined by a chain of calls correlate.
    public var topology: [String: [String]] = [:]
    /// Severities whose alert groups open an incident by themselves (the rest wait for on-call).
    public var openIncidentsFor: Set<Severity> = [.critical]
    /// Event time between evaluations of every rule.
    public var evaluationStep: Int64 = 10 * nanosecondsPerSecond
    /// Wall-clock seconds after which a source that sends nothing stops holding the watermark back.
    public var sourceIdleSeconds: Double = 10
    /// Who is on call, shown on every incident.
    public var onCall: String = "ops"

    public init(rules: [AlertRule]) {
        self.rules = rules
    }

    /// The services a signal on `service` may correlate with: itself, those it calls and those calling
    /// it, at any depth.
    public func relatedServices(of service: String) -> Set<String> {
        var related: Set<String> = [service]
        var callers: [String: [String]] = [:]
        for (caller, callees) in topology {
            for callee in callees { callers[callee, default: []].append(caller) }
        }
        for graph in [topology, callers] {
            var frontier = [service]
            while let next = frontier.popLast() {
                for neighbour in graph[next] ?? [] where !related.contains(neighbour) {
                    related.insert(neighbour)
                    frontier.append(neighbour)
                }
            }
        }
        return related
    }

    /// How far down the call chain a service sits: 0 for one nobody calls, 1 + its deepest caller's depth.
    public func depth(of service: String) -> Int {
        var callers: [String: [String]] = [:]
        for (caller, callees) in topology {
            for callee in callees { callers[callee, default: []].append(caller) }
        }
        var memo: [String: Int] = [:]
        func depth(_ name: String, _ visiting: Set<String>) -> Int {
            if let known = memo[name] { return known }
            let parents = (callers[name] ?? []).filter { !visiting.contains($0) }
            let value = parents.isEmpty ? 0 : 1 + parents.map { depth($0, visiting.union([name])) }.max()!
            memo[name] = value
            return value
        }
        return depth(service, [])
    }
}

public let nanosecondsPerSecond: Int64 = 1_000_000_000
