import ArgumentParser
import LogqIndex

struct FsckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Check a data directory's manifest, segments and WAL without changing them.",
        discussion: "Exit status 0 when nothing is wrong, 1 when any error is found. Safe while logqd runs."
    )

    @Option(help: "The data directory (logqd's --data).")
    var data = "./data"

    func run() throws {
        let report = DataDirectoryCheck.run(directory: data)
        for finding in report.findings { print(finding) }
        print(
            "checked \(report.segmentsChecked) segments (\(report.recordsChecked) records) and "
                + "\(report.walFilesChecked) WAL files: "
                + (report.isClean ? "no errors" : "\(report.findings.filter { $0.severity == .error }.count) errors"))
        if !report.isClean { throw ExitCode(1) }
    }
}
