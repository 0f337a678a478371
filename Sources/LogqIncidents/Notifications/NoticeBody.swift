import Foundation

/// The JSON each kind of channel expects.
enum NoticeBody {
    static func email(incident: Incident, event: String, settings: NotificationPolicy.Email) -> EmailMessage {
        EmailMessage(
            from: settings.from, to: settings.to, subject: headline(incident) + " (\(event))",
            body: ([headline(incident), ""] + lines(incident, event: event)).joined(separator: "\n"))
    }

    static func headline(_ incident: Incident) -> String {
        "[\(incident.severity.rawValue.uppercased())] incident \(incident.id): \(incident.title)"
    }

    static func lines(_ incident: Incident, event: String) -> [String] {
        [
            "status: \(incident.status.rawValue) (\(event))",
            "services: \(incident.services.joined(separator: ", "))",
            "since: \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(incident.firstSeen) / 1e9)))",
            "on call: \(incident.onCall)",
            "likely cause: \(incident.rootCauses.first.map { "\($0.signal) on \($0.service)" } ?? "unknown")",
            "logq incident show \(incident.id)",
        ]
    }

    static func render(_ shape: NotificationPolicy.Shape, incident: Incident, event: String) -> Data {
        let headline = headline(incident)
        let lines = lines(incident, event: event)
        let object: [String: Any]
        switch shape {
        case .webhook:
            object = [
                "event": event,
                "incident": [
                    "id": incident.id, "title": incident.title, "severity": incident.severity.rawValue,
                    "status": incident.status.rawValue, "category": incident.category.rawValue,
                    "services": incident.services, "first_seen": incident.firstSeen, "on_call": incident.onCall,
                    "signals": incident.signals.map { $0.key.description },
                ],
            ]
        case .wecom:
            object = [
                "msgtype": "markdown",
                "markdown": ["content": "**\(headline)**\n" + lines.map { "> " + $0 }.joined(separator: "\n")],
            ]
        case .dingtalk:
            object = [
                "msgtype": "markdown",
                "markdown": [
                    "title": headline, "text": "#### \(headline)\n" + lines.map { "- " + $0 }.joined(separator: "\n"),
                ],
            ]
        case .slack:
            object = ["text": "*\(headline)*\n" + lines.joined(separator: "\n")]
        case .email:
            object = [:]
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}
