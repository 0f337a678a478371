/// How urgent a signal or an incident is; the policy's three levels, ordered from least to most urgent.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case info
    case warning
    case critical

    private var rank: Int {
        switch self {
        case .info: return 0
        case .warning: return 1
        case .critical: return 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// The policy's fault categories.
public enum FaultCategory: String, Sendable, Codable, CaseIterable {
    case infrastructure
    case application
    case data
    case security
}

/// Where an incident is in the process: identify → diagnose → fix → review.
public enum IncidentStatus: String, Sendable, Codable, CaseIterable {
    case open
    case acknowledged
    case mitigated
    case resolved
    case reviewed

    /// The statuses a person may move an incident to from this one; `reopen` is `open` from resolved.
    public var allowedNext: Set<IncidentStatus> {
        switch self {
        case .open: return [.acknowledged, .mitigated, .resolved]
        case .acknowledged: return [.mitigated, .resolved]
        case .mitigated: return [.resolved, .open]
        case .resolved: return [.reviewed, .open]
        case .reviewed: return []
        }
    }

    /// Still needs someone: notifications repeat only while an incident is open and unacknowledged.
    public var isActive: Bool { self == .open || self == .acknowledged || self == .mitigated }
}
