import ArgumentParser
import Foundation
import LogqIndex
import LogqParsers

struct PatternsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patterns",
        abstract: "List, try and detect the parsing packs (grok patterns, JSON lines, syslog).",
        subcommands: [List.self, Show.self, Test.self, Detect.self]
    )

    /// Options shared by the subcommands: extra pattern files, and the zone of zone-less timestamps.
    struct Common: ParsableArguments {
        @Option(name: .customLong("patterns"), help: "A grok pattern file or directory to load after the built-ins.")
        var patternPaths: [String] = []

        @Option(help: "Time zone for timestamps without one (UTC, +08:00, Asia/Shanghai).")
        var zone = "UTC"

        func library() throws -> GrokPatternLibrary {
            do {
                return try BuiltinPacks.library(extraPaths: patternPaths)
            } catch {
                throw ValidationError(error.description)
            }
        }

        func timeZone() throws -> TimeZoneRule {
            guard let rule = TimeZoneRule(identifier: zone) else {
                throw ValidationError("unknown time zone '\(zone)': use UTC, an offset such as +08:00, or an IANA name")
            }
            return rule
        }

        func pack(_ name: String, library: GrokPatternLibrary) throws -> CompiledPack {
            guard let pack = BuiltinPacks.named(name) else {
                throw ValidationError(
                    "no pack named '\(name)'; `logq patterns list` shows them: "
                        + BuiltinPacks.all.map(\.name).joined(separator: ", "))
            }
            do {
                return try CompiledPack(pack: pack, library: library)
            } catch {
                throw ValidationError(error.description)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the built-in packs.")

        func run() {
            for pack in BuiltinPacks.all {
                var line = pack.name.padding(toLength: 15, withPad: " ", startingAt: 0) + pack.summary
                if let multiline = pack.multiline {
                    line += " [multi-line: \(multiline.negate ? "not " : "")/\(multiline.pattern)/ \(multiline.match)]"
                }
                print(line)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a pack's expressions, the PCRE2 regex each expands to, and its settings.")

        @Argument(help: "The pack (see `logq patterns list`).")
        var pack: String

        @OptionGroup var common: Common

        func run() throws {
            let compiled = try common.pack(pack, library: try common.library())
            print("\(compiled.pack.name): \(compiled.pack.summary)")
            if let multiline = compiled.pack.multiline {
                print(
                    "multiline: pattern /\(multiline.pattern)/ negate \(multiline.negate) match \(multiline.match) "
                        + "max_lines \(multiline.maxLines)" + (multiline.leadPattern.map { " lead /\($0)/" } ?? ""))
            }
            print(
                "timestamps: "
                    + compiled.pack.timestamps.map { "\($0.field) (\($0.format.rawValue))" }.joined(separator: ", "))
            for pattern in compiled.patterns {
                print("\nexpression: \(pattern.expression)")
                print(
                    "fields: "
                        + zip(pattern.captures, pattern.captures.indices).map { capture, _ in
                            capture.type == .string ? capture.field : "\(capture.field):\(capture.type.rawValue)"
                        }.joined(separator: " "))
                print("regex: \(pattern.expandedRegex)")
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse one line with a pack and print the record's fields, or where the pattern fails.",
            discussion:
                "Use $'…' in the shell for a multi-line event: logq patterns test mysql-slow $'# User@Host: …\\n…'"
        )

        @Argument(help: "The pack (see `logq patterns list`).")
        var pack: String

        @Argument(help: "The line (or joined multi-line event).")
        var line: String

        @OptionGroup var common: Common

        func run() throws {
            let library = try common.library()
            let compiled = try common.pack(pack, library: library)
            var parser = PackParser(compiled, zone: try common.timeZone())
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            let record = parser.record(from: line, receivedAt: now)
            let failed = record.fields.first { $0.name == "_parse_error" }
            print(
                "_time: \(TimestampFormat.rfc3339(record.timestamp))\(record.timestamp == now ? " (receive time)" : "")"
            )
            print("level: \(record.level?.description ?? "-")")
            print("service: \(record.service.isEmpty ? "-" : record.service)")
            if !record.host.isEmpty { print("host: \(record.host)") }
            print("message: \(record.message)")
            for field in record.fields {
                switch field.value {
                case .string(let text): print("\(field.name): \(text)")
                case .int(let number): print("\(field.name): \(number) (int)")
                case .double(let number): print("\(field.name): \(number) (float)")
                }
            }
            guard failed != nil else { return }
            if case .grok(let expressions) = compiled.pack.kind {
                let compiler = GrokCompiler(library: library)
                for expression in expressions {
                    if let mismatch = GrokDiagnosis.explain(expression, line: line, compiler: compiler) {
                        print("\(expression): \(mismatch)")
                    }
                }
            }
            throw ExitCode(1)
        }
    }

    struct Detect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pick the pack that parses most of a file's first lines.")

        @Argument(help: "The log file.")
        var file: String

        @Option(help: "How many lines to sample from the start.")
        var lines = 1000

        @OptionGroup var common: Common

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            var sample = String(decoding: data.prefix(16 << 20), as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: false).prefix(lines).map(String.init)
            if sample.last == "" { sample.removeLast() }
            let library = try common.library()
            let packs = try BuiltinPacks.all.map { try common.pack($0.name, library: library) }
            let ranking = FormatDetector.rank(sample, packs: packs, zone: try common.timeZone())
            for score in ranking where score.coveredLines > 0 {
                print(
                    score.pack.padding(toLength: 15, withPad: " ", startingAt: 0)
                        + String(
                            format: "%5.1f%% of %d lines, %d of %d events, %.1f fields per event",
                            100 * score.coverage, score.lines, score.parsedEvents, score.events, score.fieldsPerEvent))
            }
            guard let best = ranking.first, best.coveredLines > 0 else {
                print("no pack parses any of the first \(sample.count) lines")
                throw ExitCode(1)
            }
            print("best: \(best.pack)")
        }
    }
}
