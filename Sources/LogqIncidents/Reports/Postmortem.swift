import Foundation
import LogqIndex
import LogqQuery

/// A postmortem written from an incident's record and the logs: summary, impact, timeline, root cause,
/// detection, resolution and action items, with the query behind every number.
public struct Postmortem: Sendable, Codable, Equatable {
    public var incident: Int64
    public var title: String
    public var severity: Severity
    public var category: FaultCategory
    public var status: IncidentStatus
    public var services: [String]
    /// Event time the impact started and ended (the signals' span).
    public var start: Int64
    public var end: Int64
    public var durationSeconds: Double
    public var impact: [Figure]
    public var signals: [Figure]
    public var timeline: [TimelineEvent]
    public var rootCause: RootCauseCandidate?
    public var rootCauseEvidence: [EvidenceLine]
    public var otherCandidates: [RootCauseCandidate]
    /// From the first signal's onset to the first signal of the incident's severity firing (event time).
    public var timeToDetectSeconds: Double
    /// From opening to acknowledgement, and to resolution (wall clock); nil while it has not happened.
    public var timeToAcknowledgeSeconds: Double?
    public var timeToResolveSeconds: Double?
    public var acknowledgedBy: String?
    public var resolution: [String]
    public var actionItems: [String]

    public static func write(for incident: Incident, using queries: any ReportQueries) throws -> Postmortem {
        let from = incident.firstSeen
        let to = max(incident.lastSeen, incident.firstSeen)
        var impact: [Figure] = []
        impact.append(try ReportTime.figure("requests", "service:nginx", from: from, to: to, using: queries))
        impact.append(
            try ReportTime.figure(
                "failed requests (5xx)", "service:nginx status:>=500", from: from, to: to, using: queries))
        impact.append(
            try ReportTime.figure("error lines", "level:error OR level:fatal", from: from, to: to, using: queries))
        for service in incident.services {
            impact.append(
                try ReportTime.figure(
                    "error lines from \(service)", "(level:error OR level:fatal) service:\(service)", from: from,
                    to: to,
                    using: queries))
        }
        let signals = try incident.signals.map { signal in
            try ReportTime.figure(signal.key.description, signal.query, from: from, to: to, using: queries)
        }
        let top = incident.rootCauses.first
        let evidence = incident.signals.first { $0.key == top?.signal }?.samples ?? []
        let detected = incident.signals.filter { $0.severity == incident.severity }.map(\.firedAt).min() ?? from
        let seconds = { (nanoseconds: Int64) in Double(nanoseconds) / 1e9 }
        var resolution = incident.timeline.filter { $0.kind == .note }.map { "\($0.actor): \($0.text)" }
        resolution += incident.timeline.filter { $0.kind == .statusChanged }.map {
            "\(TimestampFormat.rfc3339($0.at)) \($0.actor): \($0.text)"
        }
        return Postmortem(
            incident: incident.id, title: incident.title, severity: incident.severity, category: incident.category,
            status: incident.status, services: incident.services, start: from, end: to,
            durationSeconds: seconds(to - from), impact: impact, signals: signals, timeline: incident.timeline,
            rootCause: top, rootCauseEvidence: evidence, otherCandidates: Array(incident.rootCauses.dropFirst()),
            timeToDetectSeconds: seconds(max(0, detected - from)),
            timeToAcknowledgeSeconds: incident.acknowledgedAt.map { seconds($0 - incident.openedAt) },
            timeToResolveSeconds: incident.resolvedAt.map { seconds($0 - incident.openedAt) },
            acknowledgedBy: incident.acknowledgedBy, resolution: resolution,
            actionItems: incident.runbook.flatMap { hint in hint.actions.map { "[\(hint.cause)] \($0)" } }
                + ["Add a test or an alert that would have caught this earlier", "Review the runbook entry"])
    }

    // MARK: Rendering

    public func markdown() -> String {
        var out = ["# Postmortem: incident \(incident) — \(title)", ""]
        out.append("## Summary")
        out.append(
            "A **\(severity.rawValue)** \(category.rawValue) incident on \(services.joined(separator: ", ")), "
                + "from \(TimestampFormat.rfc3339(start)) to \(TimestampFormat.rfc3339(end)) "
                + "(\(Self.duration(durationSeconds))). Status: \(status.rawValue).")
        out += ["", "## Impact", "", "| What | Count | Query |", "|---|---:|---|"]
        for figure in impact + signals { out.append("| \(figure.name) | \(Int(figure.value)) | `\(figure.query)` |") }
        out += ["", "## Timeline", ""]
        for event in timeline {
            out.append(
                "- \(TimestampFormat.rfc3339(event.at)) — \(event.kind.rawValue) — \(event.actor): \(event.text)")
        }
        out += ["", "## Root cause", ""]
        if let rootCause {
            out.append("Most likely: **\(rootCause.signal)** on **\(rootCause.service)** — \(rootCause.reason).")
            out.append("")
            for line in rootCauseEvidence {
                out.append("    \(TimestampFormat.rfc3339(line.timestamp)) \(line.service) \(line.text)")
            }
            if !otherCandidates.isEmpty {
                out.append("")
                out.append("Other candidates, in order:")
                for candidate in otherCandidates { out.append("- \(candidate.signal) on \(candidate.service)") }
            }
        } else {
            out.append("No candidate.")
        }
        out += ["", "## Detection", ""]
        out.append(
            "- Time to detect: \(Self.duration(timeToDetectSeconds)) (first symptom to the first \(severity.rawValue) signal)"
        )
        out.append(
            "- Time to acknowledge: \(timeToAcknowledgeSeconds.map(Self.duration) ?? "not acknowledged")"
                + (acknowledgedBy.map { " by \($0)" } ?? ""))
        out.append("- Time to resolve: \(timeToResolveSeconds.map(Self.duration) ?? "not resolved")")
        out += ["", "## Resolution", ""]
        out += resolution.isEmpty ? ["(no notes yet)"] : resolution.map { "- " + $0 }
        out += ["", "## Action items (to be edited)", ""]
        out += actionItems.map { "- [ ] " + $0 }
        return out.joined(separator: "\n") + "\n"
    }

    public func html() -> String {
        var body = "<h1>Postmortem: incident \(incident) — \(HTML.escape(title))</h1>"
        body +=
            "<p>A <b>\(severity.rawValue)</b> \(category.rawValue) incident on \(HTML.escape(services.joined(separator: ", "))), "
        body +=
            "from \(TimestampFormat.rfc3339(start)) to \(TimestampFormat.rfc3339(end)) (\(Self.duration(durationSeconds))).</p>"
        body += "<h2>Impact</h2><table><tr><th>What</th><th>Count</th><th>Query</th></tr>"
        for figure in impact + signals {
            body +=
                "<tr><td>\(HTML.escape(figure.name))</td><td>\(Int(figure.value))</td><td><code>\(HTML.escape(figure.query))</code></td></tr>"
        }
        body += "</table>" + HTML.bars(impact.map { ($0.name, $0.value) })
        body += "<h2>Timeline</h2><ul>"
        for event in timeline {
            body +=
                "<li>\(TimestampFormat.rfc3339(event.at)) — \(event.kind.rawValue) — \(HTML.escape(event.actor)): \(HTML.escape(event.text))</li>"
        }
        body += "</ul><h2>Root cause</h2>"
        if let rootCause {
            body +=
                "<p><b>\(HTML.escape(rootCause.signal.description))</b> on <b>\(HTML.escape(rootCause.service))</b>: \(HTML.escape(rootCause.reason))</p><pre>"
            body += rootCauseEvidence.map {
                HTML.escape("\(TimestampFormat.rfc3339($0.timestamp)) \($0.service) \($0.text)")
            }.joined(separator: "\n")
            body += "</pre>"
        }
        body += "<h2>Detection</h2><ul><li>Time to detect: \(Self.duration(timeToDetectSeconds))</li>"
        body += "<li>Time to acknowledge: \(timeToAcknowledgeSeconds.map(Self.duration) ?? "not acknowledged")</li>"
        body += "<li>Time to resolve: \(timeToResolveSeconds.map(Self.duration) ?? "not resolved")</li></ul>"
        body += "<h2>Resolution</h2><ul>" + resolution.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>"
        body += "<h2>Action items</h2><ul>" + actionItems.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>"
        return HTML.page(title: "Postmortem \(incident)", body: body)
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total) s" }
        if total < 3600 { return "\(total / 60) min \(total % 60) s" }
        return "\(total / 3600) h \(total % 3600 / 60) min"
    }
}

/// Small HTML helpers: escaping, a page, and bar charts as inline SVG (no scripts, no external files).
enum HTML {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}
        td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}code{font-size:.85em}</style></head>
        <body>\(body)</body></html>

        """
    }

    static func bars(_ values: [(String, Double)]) -> String {
        guard let largest = values.map(\.1).max(), largest > 0 else { return "" }
        let rowHeight = 22
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"\(values.count * rowHeight + 4)\">"
        for (index, (label, value)) in values.enumerated() {
            let y = index * rowHeight + 2
            let width = Int(360 * value / largest)
            svg += "<text x=\"0\" y=\"\(y + 15)\" font-size=\"12\">\(escape(String(label.prefix(34))))</text>"
            svg += "<rect x=\"230\" y=\"\(y)\" width=\"\(max(1, width))\" height=\"18\" fill=\"#4a7bd0\"/>"
            svg += "<text x=\"\(236 + width)\" y=\"\(y + 15)\" font-size=\"12\">\(Int(value))</text>"
        }
        return svg + "</svg>"
    }
}
