import LogqQuery
import Yams

/// A policy that cannot be used: every problem found, each naming its key.
public struct IncidentPolicyError: Error, Equatable, CustomStringConvertible {
    public let problems: [String]

    public var description: String {
        "the incidents policy has \(problems.count) problem(s):\n"
            + problems.map { "  - " + $0 }.joined(separator: "\n")
    }
}

extension IncidentPolicy {
    /// The policy shipped in the binary (docs/incidents.md explains each rule).
    public static let defaults: IncidentPolicy = {
        do {
            return try parse(yaml: defaultPolicyYAML, over: IncidentPolicy(rules: []))
        } catch {
            fatalError("the embedded incident policy is invalid: \(error)")
        }
    }()

    /// Reads a YAML document holding the `incidents:` section's keys (or the section itself).
    public static func parse(yaml text: String) throws(IncidentPolicyError) -> IncidentPolicy {
        try parse(yaml: text, over: .defaults)
    }

    private static func parse(
        yaml text: String, over base: IncidentPolicy
    ) throws(IncidentPolicyError)
        -> IncidentPolicy
    {
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw IncidentPolicyError(problems: ["not valid YAML: \(error)"])
        }
        guard var section = loaded as? [String: Any] else {
            throw IncidentPolicyError(problems: ["must be a mapping of keys such as rules: and topology:"])
        }
        if let inner = section["incidents"] as? [String: Any] { section = inner }
        return try parse(section: section, over: base)
    }

    /// The `incidents:` section over the shipped policy: each key present replaces its default (`rules:`
    /// replaces all the shipped rules), each key absent keeps it.
    public static func parse(section: [String: Any]) throws(IncidentPolicyError) -> IncidentPolicy {
        try parse(section: section, over: .defaults)
    }

    private static func parse(
        section: [String: Any], over base: IncidentPolicy
    ) throws(IncidentPolicyError)
        -> IncidentPolicy
    {
        var problems: [String] = []
        var policy = base
        policy.rules = []
        var sawRules = false
        for (key, value) in section {
            switch key {
            case "rules":
                sawRules = true
                guard let list = value as? [[String: Any]] else {
                    problems.append("incidents.rules: must be a list of rules, each a mapping with name:, kind:, …")
                    continue
                }
                for (index, entry) in list.enumerated() {
                    if let rule = parseRule(entry, at: "incidents.rules[\(index)]", problems: &problems) {
                        policy.rules.append(rule)
                    }
                }
            case "correlation_window", "reopen_grace", "evaluation_step":
                guard let nanoseconds = duration(value), nanoseconds > 0 else {
                    problems.append("incidents.\(key): must be a duration such as 10m or 30s")
                    continue
                }
                if key == "correlation_window" { policy.correlationWindow = nanoseconds }
                if key == "reopen_grace" { policy.reopenGrace = nanoseconds }
                if key == "evaluation_step" { policy.evaluationStep = nanoseconds }
            case "source_idle":
                guard let nanoseconds = duration(value), nanoseconds > 0 else {
                    problems.append("incidents.source_idle: must be a duration such as 10s")
                    continue
                }
                policy.sourceIdleSeconds = Double(nanoseconds) / 1e9
            case "topology":
                guard let map = value as? [String: Any] else {
                    problems.append("incidents.topology: must map a service to the list of services it calls")
                    continue
                }
                policy.topology = [:]
                for (caller, callees) in map {
                    guard let names = callees as? [String] else {
                        problems.append("incidents.topology.\(caller): must be a list of service names")
                        continue
                    }
                    policy.topology[caller] = names
                }
            case "open_incidents_for":
                let names = value as? [String] ?? []
                let severities = names.compactMap(Severity.init(rawValue:))
                guard severities.count == names.count, value is [String] else {
                    problems.append("incidents.open_incidents_for: must be a list of critical, warning, info")
                    continue
                }
                policy.openIncidentsFor = Set(severities)
            case "on_call":
                guard let name = value as? String, !name.isEmpty else {
                    problems.append("incidents.on_call: must name who is on call")
                    continue
                }
                policy.onCall = name
            case "notifications":
                continue  // Read by the notifier (NotificationPolicy).
            default:
                problems.append(
                    "incidents.\(key): unknown key (known: rules, topology, correlation_window, reopen_grace, "
                        + "open_incidents_for, on_call, evaluation_step, source_idle, notifications)")
            }
        }
        if !sawRules { policy.rules = base.rules }
        let names = policy.rules.map(\.name)
        for name in Set(names) where names.filter({ $0 == name }).count > 1 {
            problems.append("incidents.rules: the name '\(name)' is used twice; rule names must be unique")
        }
        guard problems.isEmpty else { throw IncidentPolicyError(problems: problems.sorted()) }
        return policy
    }

    private static let ruleKeys: Set<String> = [
        "name", "signal", "kind", "query", "of", "field", "quantile", "min_count", "by", "above", "window", "for",
        "severity", "category", "labels", "lookback", "min_query_time",
    ]

    static func parseRule(_ entry: [String: Any], at path: String, problems: inout [String]) -> AlertRule? {
        let before = problems.count
        for key in entry.keys where !ruleKeys.contains(key) {
            problems.append("\(path).\(key): unknown key (known: \(ruleKeys.sorted().joined(separator: ", ")))")
        }
        guard let name = entry["name"] as? String, !name.isEmpty else {
            problems.append("\(path).name: required, a unique name for the rule")
            return nil
        }
        let at = "incidents.rules[\(name)]"
        func query(_ key: String, required: Bool = true) -> (String, Query)? {
            guard let text = entry[key] as? String else {
                if required { problems.append("\(at).\(key): required, a query such as 'level:error service:order'") }
                return nil
            }
            do {
                let parsed = try Query.parse(text)
                guard parsed.pipes.isEmpty else {
                    problems.append("\(at).\(key): a rule's query is a filter; pipes are not allowed in '\(text)'")
                    return nil
                }
                return (text, parsed)
            } catch {
                problems.append("\(at).\(key): \(error.message) at position \(error.position) of '\(text)'")
                return nil
            }
        }
        func number(_ key: String) -> Double? {
            if let value = entry[key] as? Double { return value }
            if let value = entry[key] as? Int { return Double(value) }
            if let text = entry[key] as? String { return Quantities.seconds(text) ?? Double(text) }
            return nil
        }
        let kindName = entry["kind"] as? String ?? "threshold"
        let filter =
            query("query", required: kindName != "absent") ?? ("*", (try? Query.parse("*")) ?? Query(filters: []))
        let window = entry["window"].flatMap(duration) ?? 0
        if window <= 0 { problems.append("\(at).window: required, a duration such as 5m") }
        var holdFor: Int64 = 0
        if let value = entry["for"] {
            if let nanoseconds = duration(value) {
                holdFor = nanoseconds
            } else {
                problems.append("\(at).for: must be a duration such as 5m")
            }
        }
        guard let severity = Severity(rawValue: entry["severity"] as? String ?? "") else {
            problems.append("\(at).severity: required, one of critical, warning, info")
            return nil
        }
        let category = FaultCategory(rawValue: entry["category"] as? String ?? "application")
        if category == nil { problems.append("\(at).category: one of infrastructure, application, data, security") }
        let above = number("above") ?? 0
        let by = entry["by"] as? [String] ?? []
        if entry["by"] != nil && !(entry["by"] is [String]) { problems.append("\(at).by: must be a list of fields") }
        let minCount = entry["min_count"] as? Int ?? 10
        let kind: AlertRule.Kind
        switch kindName {
        case "threshold":
            kind = .threshold
        case "ratio":
            guard let (ofText, of) = query("of") else { return nil }
            kind = .ratio(of: of, ofText: ofText, minCount: minCount)
        case "quantile":
            guard let field = entry["field"] as? String, !field.isEmpty else {
                problems.append("\(at).field: required, the numeric field whose quantile is watched")
                return nil
            }
            let quantile = number("quantile") ?? 0.95
            guard quantile > 0, quantile < 1 else {
                problems.append("\(at).quantile: must be between 0 and 1, such as 0.95")
                return nil
            }
            kind = .quantile(field: field, quantile: quantile, minCount: minCount)
        case "absent":
            if by.isEmpty { problems.append("\(at).by: an absent rule needs the field that names a source, [service]") }
            kind = .absent
        case "new_fingerprint":
            guard let lookback = entry["lookback"].flatMap(duration) else {
                problems.append("\(at).lookback: required, how long a template must be unseen to count as new (7d)")
                return nil
            }
            kind = .newFingerprint(lookback: lookback)
        case "slow_query":
            guard let seconds = number("min_query_time"), seconds > 0 else {
                problems.append("\(at).min_query_time: required, a duration such as 10s")
                return nil
            }
            kind = .slowQuery(minQueryTime: seconds)
        default:
            problems.append(
                "\(at).kind: '\(kindName)' is not a kind (known: threshold, ratio, quantile, absent, "
                    + "new_fingerprint, slow_query)")
            return nil
        }
        let labels = entry["labels"] as? [String: String] ?? [:]
        guard problems.count == before, let category else { return nil }
        var keys = by
        if case .slowQuery = kind, keys.isEmpty { keys = ["table"] }
        if case .newFingerprint = kind, keys.isEmpty { keys = ["service", "fingerprint"] }
        return AlertRule(
            name: name, signal: entry["signal"] as? String, kind: kind, queryText: filter.0, query: filter.1, by: keys,
            above: above, window: window, holdFor: holdFor, severity: severity, category: category, labels: labels)
    }

    static func duration(_ value: Any) -> Int64? {
        if let text = value as? String { return Quantities.nanoseconds(text) }
        return nil
    }
}
