import ArgumentParser
import Foundation

struct PostmortemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postmortem",
        abstract: "An incident's postmortem: summary, impact, timeline, root cause, detection, resolution, actions.")
    @OptionGroup var server: BackupCommand.ServerOption
    @Argument(help: "The incident's id (`logq incident list`).") var id: Int64
    @Option(name: .customShort("o"), help: "md, html or json.") var output = "md"

    func run() async throws {
        let data = try await server.client.get(
            "/api/v1/incidents/\(id)/postmortem", [URLQueryItem(name: "format", value: output)], query: "")
        FileHandle.standardOutput.write(data)
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Reports: the weekly review.", subcommands: [Weekly.self])

    struct Weekly: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Incidents by severity, category and service, MTTA and MTTR, recurring errors, slow statements.")
        @OptionGroup var server: BackupCommand.ServerOption
        @Option(help: "The ISO week, such as 2026-W48 (default: this week).") var week: String?
        @Option(name: .customShort("o"), help: "md, html or json.") var output = "md"
        @Flag(help: "Email it to the weekly report's recipients (incidents.notifications.weekly_report) instead.")
        var email = false

        func run() async throws {
            if email {
                var path = "/api/v1/reports/weekly/email"
                if let week { path += "?week=" + week }
                let data = try await server.client.post(path, body: Data(), contentType: "application/json")
                let answer = try JSONSerialization.jsonObject(with: data) as? [String: String]
                print("sent the review of \(answer?["week"] ?? "?") to \(answer?["sent_to"] ?? "?")")
                return
            }
            var parameters = [URLQueryItem(name: "format", value: output)]
            if let week { parameters.append(URLQueryItem(name: "week", value: week)) }
            FileHandle.standardOutput.write(
                try await server.client.get("/api/v1/reports/weekly", parameters, query: ""))
        }
    }
}
