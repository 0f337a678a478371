import ArgumentParser
import Foundation
import LogqBackup
import LogqQuery

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Take, list, verify, restore and prune backups (see docs/operations.md, \"Backups\").",
        discussion:
            "`now` asks the running logqd (it flushes and snapshots while ingest goes on). The others work on "
            + "the backup folder itself (--dir, logqd's backup.dir), with or without a server.",
        subcommands: [Now.self, List.self, Verify.self, Restore.self, Prune.self]
    )

    struct ServerOption: ParsableArguments {
        @Option(name: .long, help: "The server (default: $LOGQ_URL, else http://127.0.0.1:9900).")
        var url: String?

        var client: ServerClient {
            ServerClient(baseURL: url ?? ProcessInfo.processInfo.environment["LOGQ_URL"] ?? "http://127.0.0.1:9900")
        }
    }

    struct RepositoryOption: ParsableArguments {
        @Option(name: .long, help: "The backup folder (logqd's backup.dir).")
        var dir: String

        var repository: BackupRepository { BackupRepository(path: dir) }
    }

    struct Now: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a backup now, through the running logqd.")
        @OptionGroup var server: ServerOption

        func run() async throws {
            let data = try await server.client.post("/api/v1/backups", body: Data(), contentType: "application/json")
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ExitCode(ExitStatus.serverError)
            }
            print(
                "backup \(object["id"] ?? "?"): \(object["files"] ?? 0) files, \(object["records"] ?? 0) records, "
                    + "\(ByteText.format(object["bytes"] as? Int ?? 0)) "
                    + "(\(ByteText.format(object["copied_bytes"] as? Int ?? 0)) copied, "
                    + "\(object["reused_files"] ?? 0) files already backed up) in "
                    + String(format: "%.2f s", object["seconds"] as? Double ?? 0))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the complete backups, oldest first.")
        @OptionGroup var repository: RepositoryOption

        func run() throws {
            let backups = repository.repository.list()
            print(
                "ID".padding(toLength: 22, withPad: " ", startingAt: 0)
                    + "CREATED (UTC)".padding(toLength: 22, withPad: " ", startingAt: 0)
                    + "SEGMENTS  RECORDS     SIZE       COPIED")
            for backup in backups {
                print(
                    backup.id.padding(toLength: 22, withPad: " ", startingAt: 0)
                        + backup.createdAt.padding(toLength: 22, withPad: " ", startingAt: 0)
                        + String(backup.segments.count).padding(toLength: 10, withPad: " ", startingAt: 0)
                        + String(backup.recordCount).padding(toLength: 12, withPad: " ", startingAt: 0)
                        + ByteText.format(backup.totalBytes).padding(toLength: 11, withPad: " ", startingAt: 0)
                        + ByteText.format(backup.copiedBytes))
            }
            if backups.isEmpty { print("(no backups in \(repository.dir))") }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check backups without restoring: checksums of every file, and every segment opened.",
            discussion: "Exit status 0 when every backup checked is intact, 1 otherwise.")
        @OptionGroup var repository: RepositoryOption
        @Argument(help: "One backup's ID; all of them when left out.")
        var id: String?

        func run() throws {
            let reports = try Self.perform {
                if let id { return [try repository.repository.verify(id)] }
                return try repository.repository.verifyAll()
            }
            for report in reports {
                if report.isIntact {
                    print(
                        "\(report.id): intact (\(report.filesChecked) files, \(ByteText.format(report.bytesChecked)), "
                            + "\(report.segmentsOpened) segments opened)")
                } else {
                    print("\(report.id): DAMAGED")
                    for problem in report.problems { print("  - \(problem)") }
                }
            }
            if reports.isEmpty { print("(no backups in \(repository.dir))") }
            if reports.contains(where: { !$0.isIntact }) { throw ExitCode(1) }
        }

        static func perform<T>(_ body: () throws -> T) throws -> T {
            do {
                return try body()
            } catch let error as BackupError {
                printError(error.description)
                throw ExitCode(1)
            }
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore one backup into a new or empty data directory.",
            discussion: "Then start logqd --data DIR: it serves exactly what was backed up.")
        @OptionGroup var repository: RepositoryOption
        @Argument(help: "The backup's ID (see `logq backup list`).")
        var id: String
        @Option(name: .long, help: "The data directory to create (must be missing or empty).")
        var to: String

        func run() throws {
            let report = try Verify.perform { try repository.repository.restore(id, to: to) }
            print(
                "restored \(report.id) into \(to): \(report.segments) segments, \(report.records) records, "
                    + ByteText.format(report.bytes))
            if let config = report.configFile { print("its configuration file is at \(config)") }
            for database in report.databases { print("restored \(database) (the incident records)") }
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete backups older than --keep (the newest always stays) and the files only they held.")
        @OptionGroup var repository: RepositoryOption
        @Option(name: .long, help: "How long backups are kept, such as 90d (logqd's backup.keep).")
        var keep: String = "90d"

        func run() throws {
            guard let nanoseconds = Quantities.nanoseconds(keep) else {
                throw ValidationError("--keep takes a duration such as 90d or 12h, not '\(keep)'")
            }
            let report = try Verify.perform {
                try repository.repository.prune(keep: .nanoseconds(nanoseconds))
            }
            print(
                "pruned \(report.removedBackups.count) backups"
                    + (report.removedBackups.isEmpty ? "" : " (\(report.removedBackups.joined(separator: ", ")))")
                    + ", \(report.removedObjects) files, \(ByteText.format(report.freedBytes)) freed")
        }
    }
}

enum ByteText {
    static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
