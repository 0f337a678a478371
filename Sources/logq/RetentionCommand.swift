import ArgumentParser
import Foundation

struct RetentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Show the retention classes and what will expire next (see docs/configuration.md).",
        subcommands: [Show.self],
        defaultSubcommand: Show.self
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each class: its rule, how long it is kept, what it holds, and when its oldest data expires.")
        @OptionGroup var server: BackupCommand.ServerOption
        @Option(name: .customShort("o"), help: "text or json.")
        var output = "text"

        func run() async throws {
            let data = try await server.client.get("/api/v1/retention", [], query: "")
            if output == "json" {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let classes = object["classes"] as? [[String: Any]]
            else { throw ExitCode(ExitStatus.serverError) }
            func pad(_ text: String, _ width: Int) -> String {
                text.padding(toLength: width, withPad: " ", startingAt: 0)
            }
            print(
                pad("CLASS", 13) + pad("KEEP", 8) + pad("SEGMENTS", 10) + pad("RECORDS", 11) + pad("SIZE", 11)
                    + pad("OLDEST DAY", 12) + pad("NEXT EXPIRY", 22) + "RULE")
            for entry in classes {
                let keepDays = Double(entry["keep_seconds"] as? Int ?? 0) / 86_400
                print(
                    pad(entry["class"] as? String ?? "", 13)
                        + pad(
                            keepDays == keepDays.rounded() ? "\(Int(keepDays))d" : String(format: "%.1fd", keepDays), 8)
                        + pad("\(entry["segments"] as? Int ?? 0)", 10) + pad("\(entry["records"] as? Int ?? 0)", 11)
                        + pad(ByteText.format(entry["bytes"] as? Int ?? 0), 11)
                        + pad(entry["oldest_day"] as? String ?? "-", 12)
                        + pad(entry["next_expiry"] as? String ?? "-", 22)
                        + (entry["match"] as? String ?? ""))
            }
            let total = ByteText.format(object["bytes"] as? Int ?? 0)
            if let cap = object["max_disk_bytes"] as? Int {
                print("disk: \(total) of max_disk \(ByteText.format(cap)) (beyond it the oldest segments go first)")
            } else {
                print("disk: \(total) (no max_disk)")
            }
            if let deleted = object["deleted"] as? [String: Any] {
                print(
                    "deleted since start: \(deleted["segments"] ?? 0) segments, \(deleted["records"] ?? 0) records, "
                        + ByteText.format(deleted["bytes"] as? Int ?? 0))
            }
        }
    }
}
