import Foundation
import LogqIncidents

/// The `backup-failed` signal: firing from the first failed or missed backup until one succeeds, so a
/// broken backup shows in `logq alerts` (and opens an incident if the policy says warnings do).
actor BackupSignal {
    let desk: IncidentDesk
    private var since: Int64?

    init(desk: IncidentDesk) {
        self.desk = desk
    }

    func report(_ health: BackupHealth) async {
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        switch health {
        case .failing(let reason):
            let onset = since ?? now
            since = onset
            await take(.firing, onset: onset, now: now, summary: reason)
        case .healthy:
            guard let onset = since else { return }
            since = nil
            await take(.resolved, onset: onset, now: now, summary: "a backup succeeded again")
        }
    }

    private func take(_ phase: SignalState.Phase, onset: Int64, now: Int64, summary: String) async {
        let signal = SignalState(
            key: SignalKey(signal: "backup-failed", labels: []), phase: phase, severity: .warning,
            category: .infrastructure, rules: ["backup"], summary: summary, onset: onset, firedAt: onset,
            lastActive: now, count: 1, value: 1, threshold: 0, services: ["logqd"], traceIDs: [], samples: [],
            statements: [:], query: "*", labels: [:])
        try? await desk.take(signal)
    }
}
