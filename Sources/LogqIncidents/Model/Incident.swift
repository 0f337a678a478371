/// A fault record: what happened, how bad, where, what started it, and everything done about it.
public struct Incident: Sendable, Codable, Equatable {
    public var id: Int64
    public var title: String
    public var severity: Severity
    public var category: FaultCategory
    public var status: IncidentStatus
    public var services: [String]
    /// Event time (ns) of the earliest signal's onset and of the latest activity of any signal.
    public var firstSeen: Int64
    public var lastSeen: Int64
    /// Wall-clock times (ns) of the workflow.
    public var openedAt: Int64
    public var acknowledgedAt: Int64?
    public var acknowledgedBy: String?
    public var mitigatedAt: Int64?
    public var resolvedAt: Int64?
    public var reviewedAt: Int64?
    public var onCall: String
    /// The alert group it was opened from.
    public var alertGroup: String
    public var signals: [SignalState]
    /// Root-cause candidates, most likely first, each with its evidence.
    public var rootCauses: [RootCauseCandidate]
    public var runbook: [RunbookHint]
    public var timeline: [TimelineEvent]
}

public struct RootCauseCandidate: Sendable, Codable, Equatable {
    public var signal: SignalKey
    public var service: String
    /// How far down the call chain the service sits (deeper first).
    public var depth: Int
    public var onset: Int64
    public var reason: String
}

public struct RunbookHint: Sendable, Codable, Equatable {
    public var cause: String
    public var actions: [String]
}

public struct TimelineEvent: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case opened, signalJoined = "signal_joined", signalResolved = "signal_resolved", severityRaised =
            "severity_raised"
        case notified, notificationFailed = "notification_failed", acknowledged, note, statusChanged = "status_changed"
        case reopened
    }

    /// Nanoseconds since the epoch: event time for signals, wall-clock time for people and notifications.
    public var at: Int64
    public var kind: Kind
    public var actor: String
    public var text: String

    public init(at: Int64, kind: Kind, actor: String, text: String) {
        self.at = at
        self.kind = kind
        self.actor = actor
        self.text = text
    }
}
