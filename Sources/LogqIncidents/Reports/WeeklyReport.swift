import Foundation
import LogqIndex
import LogqQuery

/// The weekly review: incidents by severity, category and service, MTTA and MTTR, recurring error
/// templates, the slowest statements, backup and retention status, and the week's postmortems.
public struct WeeklyReport: Sendable, Codable, Equatable {
    public struct Row: Sendable, Codable, Equatable {
        public var cells: [String]
    }

    /// `2026-W48`, and the week's bounds (Monday 00:00 UTC, inclusive, to the next Monday, exclusive).
    public var week: String
    public var start: Int64
    public var end: Int64
    public var incidents: [IncidentLine]
    public var bySeverity: [String: Int]
    public var byCategory: [String: Int]
    public var byService: [String: Int]
    /// Mean time to acknowledge and to resolve, in seconds, over the incidents that were.
    public var mttaSeconds: Double?
    public var mttrSeconds: Double?
    public var recurringTemplates: [Row]
    public var recurringQuery: String
    public var slowestStatements: [Row]
    public var slowestQuery: String
    public var operations: [String]

    public struct IncidentLine: Sendable, Codable, Equatable {
        public var id: Int64
        public var title: String
        public var severity: Severity
        public var status: IncidentStatus
        public var firstSeen: Int64
    }

    /// The ISO week `text` (2026-W48) as [Monday, next Monday) in UTC nanoseconds.
    public static func bounds(of text: String) -> (Int64, Int64)? {
        let parts = text.split(separator: "-W")
        guard parts.count == 2, let year = Int(parts[0]), let week = Int(parts[1]), (1...53).contains(week) else {
            return nil
        }
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var components = DateComponents()
        components.yearForWeekOfYear = year
        components.weekOfYear = week
        components.weekday = 2
        guard let monday = calendar.date(from: components) else { return nil }
        let start = Int64(monday.timeIntervalSince1970) * nanosecondsPerSecond
        return (start, start + 7 * 86_400 * nanosecondsPerSecond)
    }

    /// The ISO week holding a time.
    public static func week(containing nanoseconds: Int64) -> String {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = Date(timeIntervalSince1970: Double(nanoseconds) / 1e9)
        let components = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        return String(format: "%04d-W%02d", components.yearForWeekOfYear ?? 0, components.weekOfYear ?? 0)
    }

    public static func write(
        week: String, incidents all: [Incident], using queries: any ReportQueries, operations: [String]
    ) throws -> WeeklyReport? {
        guard let (start, end) = bounds(of: week) else { return nil }
        let incidents = all.filter { $0.firstSeen >= start && $0.firstSeen < end }.sorted {
            $0.firstSeen < $1.firstSeen
        }
        var bySeverity: [String: Int] = [:]
        var byCategory: [String: Int] = [:]
        var byService: [String: Int] = [:]
        for incident in incidents {
            bySeverity[incident.severity.rawValue, default: 0] += 1
            byCategory[incident.category.rawValue, default: 0] += 1
            for service in incident.services { byService[service, default: 0] += 1 }
        }
        let acknowledged = incidents.compactMap { incident in incident.acknowledgedAt.map { $0 - incident.openedAt } }
        let resolved = incidents.compactMap { incident in incident.resolvedAt.map { $0 - incident.openedAt } }
        func mean(_ values: [Int64]) -> Double? {
            values.isEmpty ? nil : Double(values.reduce(0, +)) / Double(values.count) / 1e9
        }
        let last = end - 1
        let recurringQuery =
            ReportTime.scoped("level:error OR level:fatal", from: start, to: last)
            + " | stats count() by (service, fingerprint) | sort by (count desc) | limit 10"
        let recurring = try queries.table(try Query.parse(recurringQuery))
        let slowestQuery =
            ReportTime.scoped("query_time:*", from: start, to: last)
            + " | stats max(query_time) p95(query_time) count() by (table, sql_fingerprint)"
            + " | sort by (max(query_time) desc) | limit 10"
        let slowest = try queries.table(try Query.parse(slowestQuery))
        return WeeklyReport(
            week: week, start: start, end: end,
            incidents: incidents.map {
                IncidentLine(
                    id: $0.id, title: $0.title, severity: $0.severity, status: $0.status, firstSeen: $0.firstSeen)
            },
            bySeverity: bySeverity, byCategory: byCategory, byService: byService, mttaSeconds: mean(acknowledged),
            mttrSeconds: mean(resolved), recurringTemplates: recurring.rows.map { Row(cells: $0.map(\.description)) },
            recurringQuery: recurringQuery, slowestStatements: slowest.rows.map { Row(cells: $0.map(\.description)) },
            slowestQuery: slowestQuery, operations: operations)
    }

    public func markdown() -> String {
        var out = ["# Weekly review \(week)", ""]
        out.append("\(TimestampFormat.rfc3339(start)) to \(TimestampFormat.rfc3339(end)) (UTC)")
        out += ["", "## Incidents: \(incidents.count)", ""]
        out.append("- by severity: " + Self.listed(bySeverity))
        out.append("- by category: " + Self.listed(byCategory))
        out.append("- by service: " + Self.listed(byService))
        out.append(
            "- MTTA: \(mttaSeconds.map(Postmortem.duration) ?? "-"); MTTR: \(mttrSeconds.map(Postmortem.duration) ?? "-")"
        )
        out.append("")
        for incident in incidents {
            out.append(
                "- \(incident.id) \(incident.severity.rawValue) \(incident.status.rawValue) "
                    + "\(TimestampFormat.rfc3339(incident.firstSeen)) \(incident.title) — postmortem: `logq postmortem \(incident.id)`"
            )
        }
        out += [
            "", "## Recurring error templates", "", "`logq '\(recurringQuery)'`", "",
            "| service | fingerprint | count |", "|---|---|---:|",
        ]
        out += recurringTemplates.map { "| " + $0.cells.joined(separator: " | ") + " |" }
        out += [
            "", "## Slowest statements", "", "`logq '\(slowestQuery)'`", "",
            "| table | statement | max s | p95 s | count |", "|---|---|---:|---:|---:|",
        ]
        out += slowestStatements.map { "| " + $0.cells.joined(separator: " | ") + " |" }
        out += ["", "## Backups and retention", ""]
        out += operations.isEmpty ? ["(no backup configured)"] : operations.map { "- " + $0 }
        return out.joined(separator: "\n") + "\n"
    }

    public func html() -> String {
        var body =
            "<h1>Weekly review \(week)</h1><p>\(TimestampFormat.rfc3339(start)) to \(TimestampFormat.rfc3339(end)) (UTC)</p>"
        body += "<h2>Incidents: \(incidents.count)</h2>"
        body +=
            "<p>MTTA \(mttaSeconds.map(Postmortem.duration) ?? "-"), MTTR \(mttrSeconds.map(Postmortem.duration) ?? "-")</p>"
        body +=
            "<h3>By severity</h3>" + HTML.bars(bySeverity.sorted { $0.key < $1.key }.map { ($0.key, Double($0.value)) })
        body +=
            "<h3>By category</h3>" + HTML.bars(byCategory.sorted { $0.key < $1.key }.map { ($0.key, Double($0.value)) })
        body +=
            "<h3>By service</h3>" + HTML.bars(byService.sorted { $0.key < $1.key }.map { ($0.key, Double($0.value)) })
        body +=
            "<ul>"
            + incidents.map {
                "<li>\($0.id) \($0.severity.rawValue) \($0.status.rawValue) \(HTML.escape($0.title)) — <code>logq postmortem \($0.id) -o html</code></li>"
            }.joined() + "</ul>"
        body += "<h2>Recurring error templates</h2><p><code>\(HTML.escape(recurringQuery))</code></p>"
        body += HTML.bars(
            recurringTemplates.map {
                (($0.cells.first ?? "") + " " + ($0.cells.dropFirst().first ?? ""), Double($0.cells.last ?? "") ?? 0)
            })
        body +=
            "<h2>Slowest statements</h2><p><code>\(HTML.escape(slowestQuery))</code></p><table><tr><th>table</th><th>statement</th><th>max s</th><th>p95 s</th><th>count</th></tr>"
        body +=
            slowestStatements.map { "<tr>" + $0.cells.map { "<td>\(HTML.escape($0))</td>" }.joined() + "</tr>" }
            .joined() + "</table>"
        body +=
            "<h2>Backups and retention</h2><ul>" + operations.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>"
        return HTML.page(title: "Weekly review \(week)", body: body)
    }

    private static func listed(_ counts: [String: Int]) -> String {
        counts.isEmpty
            ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}
