import Foundation
import LogqParsers

/// Prometheus Alertmanager's webhook payload (version 4) turned into signals: one per alert, keyed by its
/// `alertname` and its `service`, `instance` and `job` labels, which are also how it correlates.
public enum AlertmanagerWebhook {
    public struct Payload: Decodable {
        public var version: String?
        public var status: String?
        public var alerts: [Alert]
    }

    public struct Alert: Decodable {
        public var status: String
        public var labels: [String: String]
        public var annotations: [String: String]?
        public var startsAt: String
        public var endsAt: String?
        public var fingerprint: String?
    }

    /// Reads a payload; a malformed one throws with what is wrong (the caller answers 400).
    public static func signals(from body: Data, receivedAt now: Int64) throws(IncidentError) -> [SignalState] {
        let payload: Payload
        do {
            payload = try JSONDecoder().decode(Payload.self, from: body)
        } catch let DecodingError.keyNotFound(key, _) {
            throw IncidentError(.badRequest, "not an Alertmanager webhook payload: '\(key.stringValue)' is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw IncidentError(.badRequest, "not an Alertmanager webhook payload: '\(path)' has the wrong type")
        } catch {
            throw IncidentError(.badRequest, "not an Alertmanager webhook payload: the body is not valid JSON")
        }
        if let version = payload.version, version != "4" {
            throw IncidentError(.badRequest, "Alertmanager webhook version \(version) is not supported (4 is)")
        }
        return try payload.alerts.map { alert throws(IncidentError) in try signal(alert, now: now) }
    }

    private static func signal(_ alert: Alert, now: Int64) throws(IncidentError) -> SignalState {
        guard let name = alert.labels["alertname"], !name.isEmpty else {
            throw IncidentError(.badRequest, "an alert has no alertname label")
        }
        guard let starts = time(alert.startsAt) else {
            throw IncidentError(.badRequest, "alert \(name): startsAt '\(alert.startsAt)' is not an RFC 3339 time")
        }
        let resolved = alert.status == "resolved"
        let ends = alert.endsAt.flatMap(time).flatMap { $0 > starts ? $0 : nil }
        var labels: [String] = []
        for key in ["service", "instance", "job"] {
            if let value = alert.labels[key] { labels.append("\(key)=\(value)") }
        }
        let service = alert.labels["service"] ?? alert.labels["job"] ?? alert.labels["instance"] ?? ""
        let severity: Severity
        switch alert.labels["severity"]?.lowercased() {
        case "critical", "page", "error": severity = .critical
        case "info", "none": severity = .info
        default: severity = .warning
        }
        let category = FaultCategory(rawValue: alert.labels["category"] ?? "") ?? .infrastructure
        let summary = alert.annotations?["summary"] ?? alert.annotations?["description"] ?? name
        let last = resolved ? (ends ?? now) : max(starts, now)
        return SignalState(
            key: SignalKey(signal: "alertmanager:" + name, labels: labels), phase: resolved ? .resolved : .firing,
            severity: severity, category: category, rules: ["alertmanager"], summary: summary, onset: starts,
            firedAt: starts, lastActive: last, count: 1, value: 1, threshold: 0,
            services: service.isEmpty ? [] : [service],
            traceIDs: [], samples: [], statements: [:], query: service.isEmpty ? "*" : "service:\(service)",
            labels: alert.labels)
    }

    /// Nanoseconds since the epoch, or nil; Alertmanager writes the zero time `0001-01-01T00:00:00Z` for an
    /// alert with no end, which no Int64 of nanoseconds can hold.
    private static func time(_ text: String) -> Int64? {
        // Our own RFC 3339 reader, not Foundation's ISO8601DateFormatter: ICU divides by zero on some
        // hostile strings (found by the alertmanager fuzz target; the input is kept in fixtures/fuzz).
        guard let nanoseconds = TimestampParser.parse(text, format: .iso8601), nanoseconds > 0 else { return nil }
        return nanoseconds
    }
}
