import ArgumentParser
import Foundation
import LogqIncidents
import LogqIndex

struct IncidentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident",
        abstract: "List, show and move incidents along: open → acknowledged → mitigated → resolved → reviewed.",
        subcommands: [
            List.self, Show.self, Ack.self, Note.self, Mitigate.self, Resolve.self, Reopen.self,
            Review.self, Open.self,
        ],
        defaultSubcommand: List.self
    )

    /// Options every subcommand shares: the server, who is acting, and the output format.
    struct Common: ParsableArguments {
        @OptionGroup var server: BackupCommand.ServerOption
        @Option(name: .customShort("o"), help: "text or json.")
        var output = "text"
        @Option(help: "Who acts (default: $LOGQ_USER, else $USER).")
        var by: String?

        var person: String {
            by ?? ProcessInfo.processInfo.environment["LOGQ_USER"] ?? ProcessInfo.processInfo.environment["USER"]
                ?? "on-call"
        }

        func show(_ data: Data) throws {
            if output == "json" {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print(IncidentText.full(try IncidentText.decode(Incident.self, data)))
        }

        func act(_ id: Int64, _ action: String, extra: [String: String] = [:]) async throws {
            var body = extra
            body["by"] = person
            let data = try await server.client.post(
                "/api/v1/incidents/\(id)/\(action)", body: try JSONSerialization.data(withJSONObject: body),
                contentType: "application/json")
            try show(data)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Incidents, newest first.")
        @OptionGroup var common: Common
        @Flag(help: "Only those not yet resolved.") var active = false

        func run() async throws {
            let data = try await common.server.client.get(
                "/api/v1/incidents", active ? [URLQueryItem(name: "active", value: "true")] : [], query: "")
            if common.output == "json" {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            let incidents = try IncidentText.decode([Incident].self, data)
            if incidents.isEmpty { print("no incidents") }
            for incident in incidents { print(IncidentText.line(incident)) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One incident: signals, root-cause candidates, runbook, timeline.")
        @OptionGroup var common: Common
        @Argument var id: Int64

        func run() async throws {
            try common.show(try await common.server.client.get("/api/v1/incidents/\(id)", [], query: ""))
        }
    }

    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Acknowledge: notifications stop repeating.")
        @OptionGroup var common: Common
        @Argument var id: Int64
        func run() async throws { try await common.act(id, "ack") }
    }

    struct Note: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a note to the timeline.")
        @OptionGroup var common: Common
        @Argument var id: Int64
        @Argument var text: String
        func run() async throws { try await common.act(id, "note", extra: ["text": text]) }
    }

    struct Mitigate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The impact has stopped; the cause remains.")
        @OptionGroup var common: Common
        @Argument var id: Int64
        func run() async throws { try await common.act(id, "mitigate") }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fixed.")
        @OptionGroup var common: Common
        @Argument var id: Int64
        func run() async throws { try await common.act(id, "resolve") }
    }

    struct Reopen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open a resolved incident again.")
        @OptionGroup var common: Common
        @Argument var id: Int64
        func run() async throws { try await common.act(id, "reopen") }
    }

    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reviewed (root cause and prevention): closed.")
        @OptionGroup var common: Common
        @Argument var id: Int64
        func run() async throws { try await common.act(id, "review") }
    }

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open an incident from an alert group (`logq alerts` lists them).")
        @OptionGroup var common: Common
        @Option(name: .customLong("from-alert"), help: "The alert group's id.") var group: String

        func run() async throws {
            let body = try JSONSerialization.data(withJSONObject: ["from_alert": group, "by": common.person])
            try common.show(
                try await common.server.client.post("/api/v1/incidents", body: body, contentType: "application/json"))
        }
    }
}

struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "Alert groups: firing signals grouped by correlation, newest first.")
    @OptionGroup var server: BackupCommand.ServerOption
    @Option(name: .customShort("o"), help: "text or json.") var output = "text"

    func run() async throws {
        let data = try await server.client.get("/api/v1/alerts", [], query: "")
        if output == "json" {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let groups = try IncidentText.decode([AlertGroup].self, data)
        if groups.isEmpty { print("no alerts") }
        for group in groups {
            let incident = group.incidentID.map { "incident \($0)" } ?? "no incident"
            print(
                "\(group.id)  \(group.severity.rawValue.uppercased())  since \(IncidentText.time(group.since))  "
                    + "\(group.services.joined(separator: ","))  (\(incident))")
            for signal in group.signals {
                print(
                    "    \(signal.phase == .firing ? "●" : "○") \(signal.key)  \(signal.severity.rawValue)  \(signal.summary)"
                )
            }
        }
    }
}

/// How incidents read on a terminal.
enum IncidentText {
    static func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(type, from: data)
        } catch {
            printError("the server's answer is not what this logq understands (\(error)); are both the same version?")
            throw ExitCode(ExitStatus.serverError)
        }
    }

    static func time(_ nanoseconds: Int64?) -> String {
        guard let nanoseconds else { return "-" }
        return TimestampFormat.rfc3339(nanoseconds)
    }

    static func line(_ incident: Incident) -> String {
        "\(incident.id)  \(incident.severity.rawValue.uppercased())  \(incident.status.rawValue)  "
            + "\(time(incident.firstSeen))  \(incident.services.joined(separator: ","))  \(incident.title)"
    }

    static func full(_ incident: Incident) -> String {
        var out = [
            "incident \(incident.id): \(incident.title)",
            "severity \(incident.severity.rawValue), category \(incident.category.rawValue), status \(incident.status.rawValue), on call \(incident.onCall)",
            "services: \(incident.services.joined(separator: ", "))",
            "first seen \(time(incident.firstSeen)), last seen \(time(incident.lastSeen))",
        ]
        if let by = incident.acknowledgedBy { out.append("acknowledged by \(by) at \(time(incident.acknowledgedAt))") }
        out.append("\nsignals:")
        for signal in incident.signals {
            out.append(
                "  \(signal.key)  \(signal.severity.rawValue)  \(signal.phase.rawValue)  from \(time(signal.onset))")
            out.append("      \(signal.summary); \(signal.count) records")
            out.append("      logq '\(signal.query)' --from \(time(signal.onset)) --to \(time(signal.lastActive))")
            for sample in signal.samples { out.append("      | \(sample.text)") }
        }
        out.append("\nroot-cause candidates (deepest dependency first, then earliest):")
        for (rank, candidate) in incident.rootCauses.enumerated() {
            out.append(
                "  \(rank + 1). \(candidate.signal) on \(candidate.service) (depth \(candidate.depth)): \(candidate.reason)"
            )
        }
        if !incident.runbook.isEmpty {
            out.append("\nrunbook:")
            for hint in incident.runbook {
                out.append("  \(hint.cause)")
                for action in hint.actions { out.append("    - \(action)") }
            }
        }
        out.append("\ntimeline:")
        for event in incident.timeline {
            out.append("  \(time(event.at))  \(event.kind.rawValue)  \(event.actor)  \(event.text)")
        }
        return out.joined(separator: "\n")
    }
}
