import ArgumentParser
import Foundation
import LogqIncidents
import LogqIndex
import LogqParsers

struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "Check alert rules against stored logs.", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay the rules of FILE over the stored logs of a time range; print when each would fire.",
            discussion:
                "FILE holds `rules:` (or a whole config with `incidents:`). The records come from the server, oldest "
                + "first, and go through the same engine as live ones, on their own timestamps.")
        @OptionGroup var server: BackupCommand.ServerOption
        @Argument(help: "A YAML file with the rules.") var file: String
        @Option(help: "Start of the range (RFC 3339, or local time such as 2026-11-23T14:00).") var from: String
        @Option(help: "End of the range (default: now).") var to: String?
        @Option(name: .customShort("o"), help: "text or json.") var output = "text"

        static let maxRecords = 1_000_000

        func run() async throws {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read \(file): \(error.localizedDescription)")
            }
            let policy: IncidentPolicy
            do {
                policy = try IncidentPolicy.parse(yaml: text)
            } catch {
                throw ValidationError("\(file): \(error.description)")
            }
            let query: String
            do {
                query = try TimeWindow(from: from, to: to).applied(to: "*")
            } catch let error as TimeWindow.Invalid {
                throw ValidationError(error.message)
            }
            let data = try await server.client.get(
                "/api/v1/search",
                [
                    URLQueryItem(name: "q", value: query), URLQueryItem(name: "order", value: "asc"),
                    URLQueryItem(name: "limit", value: String(Self.maxRecords)),
                ], query: query)
            let decoder = LineDecoder(source: "replay")
            var records: [LogRecord] = []
            for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                records.append(decoder.decode(String(decoding: line, as: UTF8.self), receivedAt: 0))
            }
            let engine = SignalEngine(policy: policy)
            var updates: [SignalState] = []
            for start in stride(from: 0, to: records.count, by: 10_000) {
                engine.ingest(Array(records[start..<min(records.count, start + 10_000)]), arrival: 0)
                updates += engine.advance(now: 0)
            }
            // The end of the range: every source quiet, so the last windows are evaluated too.
            updates += engine.advance(now: policy.sourceIdleSeconds + 1)
            if output == "json" {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                print(String(decoding: try encoder.encode(updates), as: UTF8.self))
                return
            }
            print("replayed \(records.count) records through \(policy.rules.count) rules")
            if records.count == Self.maxRecords {
                print("(the first \(Self.maxRecords) only: narrow --from/--to to replay the rest)")
            }
            if updates.isEmpty { print("no rule would have fired") }
            for update in updates {
                let time = update.phase == .firing ? update.firedAt : update.lastActive
                print(
                    "\(TimestampFormat.rfc3339(time))  \(update.phase == .firing ? "FIRING  " : "resolved")  "
                        + "\(update.severity.rawValue)  \(update.key)  \(update.summary)")
            }
        }
    }
}
