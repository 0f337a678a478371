import ArgumentParser

@main
struct Logq: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logq",
        abstract: "Search logs stored by logqd, and generate sample corpora.",
        discussion:
            "logq 'level:error service:order' prints matching records, newest first. LOGQ_URL points at the server.",
        subcommands: [
            SearchCommand.self, IngestCommand.self, GenerateCommand.self, FsckCommand.self, PatternsCommand.self,
            RetentionCommand.self, BackupCommand.self, IncidentCommand.self, AlertsCommand.self,
            PostmortemCommand.self, ReportCommand.self, RulesCommand.self, FingerprintCommand.self,
        ],
        defaultSubcommand: SearchCommand.self
    )
}

/// Exit codes that scripts can tell apart.
enum ExitStatus {
    static let badQuery: Int32 = 2
    static let noServer: Int32 = 3
    static let serverError: Int32 = 4
}
