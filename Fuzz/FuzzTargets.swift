// libFuzzer entry point for every decoder of untrusted bytes (issue 10; `make fuzz`, docs/fuzzing.md).
// Built only by `make fuzz` (swift build --sanitize fuzzer --sanitize address -DLOGQ_FUZZING): libFuzzer
// supplies `main` and calls `LLVMFuzzerTestOneInput` with each input; LOGQ_FUZZ_TARGET picks the decoder.
// A normal build gets a stub `main` that says how to run it.
import Foundation
import LogqIncidents
import LogqIndex
import LogqIngest
import LogqParsers
import LogqQuery

enum FuzzTarget: String, CaseIterable {
    case syslogFramer = "syslog-framer"
    case syslogParser = "syslog-parser"
    case lumberjack
    case jsonLines = "json-lines"
    case bulk
    case query
    case grok
    case segment
    case wal
    case alertmanager

    /// Feeds one input to the decoder. Errors are the expected answer to bad bytes; only a crash, a hang or
    /// an unbounded allocation is a finding.
    func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .syslogFramer:
            var framer = SyslogFramer(maxMessageBytes: 4096)
            // Two chunks, so frames that straddle a boundary are exercised too.
            let half = bytes.count / 2
            _ = try? framer.feed(UnsafeRawBufferPointer(rebasing: bytes[..<half])) { _, _ in }
            _ = try? framer.feed(UnsafeRawBufferPointer(rebasing: bytes[half...])) { _, _ in }
            framer.finish { _, _ in }
        case .syslogParser:
            var maker = FuzzFixtures.syslogMaker
            _ = maker.record(bytes, receivedAt: 0)
        case .lumberjack:
            var decoder = BeatsDecoder()
            _ = try? decoder.feed(bytes, event: { _, _ in }, windowDone: { _ in })
        case .jsonLines:
            var framer = LineFramer(maxLineBytes: 4096)
            let decoder = LineDecoder(source: "fuzz")
            framer.feedLines(bytes) { line, length in _ = decoder.decode(line, receivedAt: 0, originalLength: length) }
            framer.finish { line, length in _ = decoder.decode(line, receivedAt: 0, originalLength: length) }
        case .bulk:
            var framer = LineFramer(maxLineBytes: 4096)
            var decoder = BulkRequestDecoder(defaultIndex: nil, idSeed: 1)
            framer.feedLines(bytes) { line, length in _ = decoder.line(line, originalLength: length, receivedAt: 0) }
            decoder.finish()
        case .query:
            guard let text = String(validating: bytes, as: UTF8.self) else { return }
            _ = try? Query.parse(text, now: 1_795_424_400_000_000_000)
        case .grok:
            guard let text = String(validating: bytes, as: UTF8.self) else { return }
            // A pattern is config, but a bad one must be refused, not crash (and not run away in PCRE2).
            _ = try? GrokCompiler(library: FuzzFixtures.library).compile(text)
        case .segment:
            let path = FuzzFixtures.scratchFile(bytes)
            if let reader = try? SegmentReader(path: path) {
                for block in reader.blocks.indices { _ = try? reader.readBlock(block) }
                _ = try? reader.postings(for: Term(field: "service", value: "order"))
            }
        case .wal:
            _ = try? WALReader.replay(bytes: bytes, path: "fuzz.wal")
        case .alertmanager:
            _ = try? AlertmanagerWebhook.signals(from: Data(bytes), receivedAt: 0)
        }
    }
}

enum FuzzFixtures {
    nonisolated(unsafe) static let syslogMaker = LineRecordMaker(
        pack: try! CompiledPack(pack: BuiltinPacks.named("syslog")!, library: GrokPatternLibrary()))
    static let library = try! BuiltinPacks.library(extraPaths: [])
    static let scratch = "/tmp/logq-fuzz-\(getpid()).seg"

    static func scratchFile(_ bytes: UnsafeRawBufferPointer) -> String {
        _ = FileManager.default.createFile(atPath: scratch, contents: Data(bytes))
        return scratch
    }
}

#if LOGQ_FUZZING
nonisolated(unsafe) let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["LOGQ_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        fatalError("set LOGQ_FUZZ_TARGET to one of: \(names)")
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    selectedTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main
enum FuzzStub {
    static func main() {
        // Without libFuzzer: replay files given on the command line through a target (regression inputs).
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: logq-fuzz TARGET FILE… (replays inputs); `make fuzz` builds the libFuzzer version")
            print("targets: " + FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))
            return
        }
        for file in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            data.withUnsafeBytes { target.run($0) }
        }
    }
}
#endif
