import ArgumentParser
import Foundation
import LogqCorpus

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Write a deterministic corpus of platform logs and print the counts it wrote (JSON).",
        discussion: """
            --format json writes one JSON object per event (multi-line messages escaped), for TCP 5170.
            --format native writes each source's own format into files in the --out directory.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, native
    }

    @Option(help: "Seed: the same seed gives the same corpus.")
    var seed: UInt64 = 42

    @Option(name: [.short, .long], help: "How many events.")
    var count = 10_000

    @Option(help: "json or native.")
    var format: Format = .json

    @Option(name: [.short, .long], help: "Output file (json; - for stdout) or directory (native).")
    var out = "-"

    @Option(help: "Where to write the counts as JSON (default: stderr).")
    var counts: String?

    @Option(name: .customLong("events-per-second"), help: "How densely events are spread in time.")
    var eventsPerSecond = 1000

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must not be negative") }
        guard eventsPerSecond > 0 else { throw ValidationError("--events-per-second must be positive") }
        if format == .native && out == "-" { throw ValidationError("--format native needs --out DIRECTORY") }
    }

    func run() throws {
        var generator = CorpusGenerator(seed: seed, eventsPerSecond: eventsPerSecond)
        var tally = CorpusCounts()
        var sinks: [String: FileHandle] = [:]
        let stdout = FileHandle.standardOutput
        var buffers: [String: String] = [:]

        func sink(for name: String) throws -> FileHandle {
            if format == .json && out == "-" { return stdout }
            let path = format == .json ? out : out + "/" + name
            if let handle = sinks[path] { return handle }
            guard FileManager.default.createFile(atPath: path, contents: nil),
                let handle = FileHandle(forWritingAtPath: path)
            else {
                throw ValidationError("cannot write \(path): check that the directory exists and is writable")
            }
            sinks[path] = handle
            return handle
        }
        if format == .native { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }

        for _ in 0..<count {
            let event = generator.next()
            let line = event.jsonLine()
            tally.add(event, jsonLineBytes: line.utf8.count + 1)
            let name = format == .json ? "-" : event.nativeFileName
            buffers[name, default: ""] += format == .json ? line + "\n" : event.nativeText()
            if buffers[name]!.utf8.count > 1 << 20 {
                try sink(for: name).write(contentsOf: Data(buffers[name]!.utf8))
                buffers[name] = ""
            }
        }
        for (name, text) in buffers where !text.isEmpty { try sink(for: name).write(contentsOf: Data(text.utf8)) }
        for handle in sinks.values { try handle.close() }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let summary = try encoder.encode(tally)
        if let counts {
            try summary.write(to: URL(fileURLWithPath: counts))
        } else {
            FileHandle.standardError.write(summary + Data("\n".utf8))
        }
    }
}
