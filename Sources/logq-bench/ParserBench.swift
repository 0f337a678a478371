import Foundation
import LogqCorpus
import LogqParsers

/// Parsing figures on one core: the Spring Boot and nginx packs over generated lines (every field
/// extracted as a byte range and typed), against `pcre2grep` matching the same expanded regex over the
/// same file in the same run; and multi-line joining of Spring Boot logs with stack traces.
struct ParserFigures {
    struct PackFigure {
        let pack: String
        let lines: Int
        let megabytes: Double
        let linesPerSecond: Double
        let recordsPerSecond: Double
        let matchOnlyLinesPerSecond: Double
        let pcre2grepLinesPerSecond: Double?
    }

    var packs: [PackFigure] = []
    var joinLinesPerSecond = 0.0
    var joinLines = 0
    var joinEvents = 0

    static func measure(work: String, seed: UInt64, linesPerPack: Int) throws -> ParserFigures {
        let library = try BuiltinPacks.library()
        var generator = CorpusGenerator(seed: seed)
        var spring: [UInt8] = []
        var springWithTraces: [UInt8] = []
        var nginx: [UInt8] = []
        var springLines = 0
        var nginxLines = 0
        while springLines < linesPerPack || nginxLines < linesPerPack {
            let event = generator.next()
            switch event.kind {
            case .springBoot where springLines < linesPerPack:
                let text = event.nativeText()
                springWithTraces += Array(text.utf8)
                spring += Array(text.utf8.prefix { $0 != UInt8(ascii: "\n") }) + [UInt8(ascii: "\n")]
                springLines += 1
            case .nginxAccess where nginxLines < linesPerPack:
                nginx += Array(event.nativeText().utf8)
                nginxLines += 1
            default:
                continue
            }
        }
        var figures = ParserFigures()
        for (name, bytes) in [("springboot", spring), ("nginx-access", nginx)] {
            let path = "\(work)/\(name).log"
            try writeRawFile(bytes, to: path)
            let compiled = try CompiledPack(pack: BuiltinPacks.named(name)!, library: library)
            let ranges = lineRanges(bytes)
            var parser = PackParser(compiled)
            let matcher = GrokMatcher(pattern: compiled.patterns[0])
            // The machine's speed drifts by 2x over seconds: the three measurements take turns, round after
            // round, and each keeps its best, so that all three see the same fast and slow moments.
            var parse = Double.infinity
            var match = Double.infinity
            var grep: Double? = .infinity
            for _ in 0..<rounds {
                parse = min(parse, try timeParsing(bytes, ranges: ranges, parser: &parser))
                match = min(match, timeMatching(bytes, ranges: ranges, matcher: matcher))
                if let seconds = grep {
                    grep = timePcre2grep(regex: compiled.patterns[0].expandedRegex, path: path, lines: ranges.count)
                        .map { min(seconds, $0) }
                }
            }
            figures.packs.append(
                PackFigure(
                    pack: name, lines: linesPerPack, megabytes: Double(bytes.count) / 1e6,
                    linesPerSecond: Double(ranges.count) / parse,
                    recordsPerSecond: timeRecords(bytes, ranges: ranges, parser: &parser),
                    matchOnlyLinesPerSecond: Double(ranges.count) / match,
                    pcre2grepLinesPerSecond: grep.map { Double(ranges.count) / $0 }))
        }
        (figures.joinLinesPerSecond, figures.joinLines, figures.joinEvents) = try timeJoining(
            springWithTraces, settings: BuiltinPacks.named("springboot")!.multiline!)
        return figures
    }

    static let rounds = Int(ProcessInfo.processInfo.environment["LOGQ_BENCH_ROUNDS"] ?? "") ?? 9

    static func lineRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            ranges.append(start..<index)
            start = index + 1
        }
        return ranges
    }

    /// One pass of `parse` (ranges and typed values) over every line, in seconds.
    static func timeParsing(_ bytes: [UInt8], ranges: [Range<Int>], parser: inout PackParser) throws -> Double {
        try bytes.withUnsafeBytes { buffer in
            var parsed = 0
            var checksum = 0
            let started = DispatchTime.now().uptimeNanoseconds
            for range in ranges {
                if case .parsed = parser.parse(UnsafeRawBufferPointer(rebasing: buffer[range])) {
                    parsed += 1
                    checksum &+= parser.parsed.fields.count
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            guard parsed == ranges.count else {
                throw BenchError("\(parser.compiled.pack.name) parsed \(parsed) of \(ranges.count) generated lines")
            }
            if checksum == 42 { Swift.print("") }  // keeps the work observable
            return seconds
        }
    }

    /// Full records, Strings and all, per second (what storing costs on top of parsing).
    static func timeRecords(_ bytes: [UInt8], ranges: [Range<Int>], parser: inout PackParser) -> Double {
        var checksum = 0
        let started = DispatchTime.now().uptimeNanoseconds
        bytes.withUnsafeBytes { buffer in
            for range in ranges {
                checksum &+=
                    parser.record(from: UnsafeRawBufferPointer(rebasing: buffer[range]), receivedAt: 0)
                    .fields.count
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        if checksum == 42 { Swift.print("") }
        return Double(ranges.count) / seconds
    }

    /// One pass of the regex alone, through our binding: what the pack adds is the rest of `parse`.
    static func timeMatching(_ bytes: [UInt8], ranges: [Range<Int>], matcher: GrokMatcher) -> Double {
        bytes.withUnsafeBytes { buffer in
            let started = DispatchTime.now().uptimeNanoseconds
            var matched = 0
            for range in ranges where matcher.match(UnsafeRawBufferPointer(rebasing: buffer[range])) == .matched {
                matched += 1
            }
            if matched == 42 { Swift.print("") }
            return Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        }
    }

    /// One run of `pcre2grep -c` with JIT (its default), in byte mode as the packs match, in seconds; nil
    /// when it is not installed or does not match every line.
    static func timePcre2grep(regex: String, path: String, lines: Int) -> Double? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/pcre2grep") else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pcre2grep")
        process.arguments = ["-c", "--", regex, path]
        let output = Pipe()
        process.standardOutput = output
        let started = DispatchTime.now().uptimeNanoseconds
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let count = Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        guard count == lines else {
            Swift.print("pcre2grep matched \(count ?? -1) of \(lines) lines; its figure is not comparable")
            return nil
        }
        return seconds
    }

    static func timeJoining(_ bytes: [UInt8], settings: MultilineSettings) throws -> (Double, Int, Int) {
        let ranges = lineRanges(bytes)
        var best = Double.infinity
        var events = 0
        try bytes.withUnsafeBytes { buffer in
            for _ in 0..<3 {
                var joiner = try MultilineJoiner(settings: settings)
                events = 0
                let started = DispatchTime.now().uptimeNanoseconds
                for range in ranges {
                    joiner.append(UnsafeRawBufferPointer(rebasing: buffer[range])) { _ in events += 1 }
                }
                joiner.flush { _ in events += 1 }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            }
        }
        return (Double(ranges.count) / best, ranges.count, events)
    }

    func print() {
        Swift.print(
            "\nparsing, one core, generated lines (every field extracted and typed), against pcre2grep -c (JIT):")
        for figure in packs {
            let grep = figure.pcre2grepLinesPerSecond
            Swift.print(
                "  \(pad(figure.pack, 13)) \(String(format: "%.2f", figure.linesPerSecond / 1e6))M lines/s "
                    + "(\(String(format: "%.0f", figure.megabytes / (Double(figure.lines) / figure.linesPerSecond))) MB/s; "
                    + "regex alone \(String(format: "%.2f", figure.matchOnlyLinesPerSecond / 1e6))M/s; "
                    + "full records with Strings \(String(format: "%.2f", figure.recordsPerSecond / 1e6))M/s); "
                    + "pcre2grep \(grep.map { String(format: "%.2f", $0 / 1e6) + "M lines/s" } ?? "n/a"); "
                    + "ratio \(grep.map { String(format: "%.2f", figure.linesPerSecond / $0) } ?? "n/a") (target >= 0.33, "
                    + "and >= 2M lines/s)")
        }
        Swift.print(
            "  multi-line joining (Spring Boot with stack traces): \(String(format: "%.2f", joinLinesPerSecond / 1e6))M "
                + "lines/s, \(joinLines) lines into \(joinEvents) events (target >= 5M lines/s)")
    }
}
