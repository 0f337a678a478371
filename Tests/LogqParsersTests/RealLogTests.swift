import Foundation
import LogqCorpus
import LogqIndex
import LogqParsers
import Testing

/// The packs on whole files: Loghub's syslog samples against their ground truth, and the platform
/// corpus in its native formats against the generator's counts.
@Suite struct RealLogTests {
    static let library = try! BuiltinPacks.library()
    static let packs = try! BuiltinPacks.compileAll(library: library)

    @Test(arguments: [("Linux", "Level", "Component", "PID"), ("OpenSSH", "Component", nil, "Pid")])
    func loghubSyslogMatchesGroundTruth(
        dataset: String, hostColumn: String, appColumn: String?, pidColumn: String
    )
        throws
    {
        guard let folder = SharedData.folder("loghub/\(dataset)") else { return }
        let lines = try String(contentsOf: folder.appendingPathComponent("\(dataset)_2k.log"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        let rows = LoghubSample.CSV.records(
            [UInt8](try Data(contentsOf: folder.appendingPathComponent("\(dataset)_2k.log_structured_corrected.csv"))))
        let header = rows[0]
        func column(_ name: String) -> Int { header.firstIndex(of: name)! }
        #expect(FormatDetector.rank(lines, packs: Self.packs).first?.pack == "syslog")
        var parser = PackParser(Self.packs.first { $0.pack.name == "syslog" }!)
        let reference = try #require(TimestampParser.parse("2026-11-23T00:00:00Z", format: .iso8601))
        var agree = 0
        var firstDisagreement: String?
        for (line, row) in zip(lines, rows.dropFirst()) {
            let record = parser.record(from: line, receivedAt: reference)
            let pid =
                record.fields.first { $0.name == "pid" }.map { field -> String in
                    if case .int(let number) = field.value { return String(number) }
                    if case .string(let text) = field.value { return text }
                    return ""
                } ?? ""
            let expectedPID = row[column(pidColumn)].replacingOccurrences(of: ".0", with: "")
            let expectedContent = row[column("Content")].trimmingCharacters(in: .whitespaces)
            let same =
                record.host == row[column(hostColumn)] && pid == expectedPID
                && record.message.trimmingCharacters(in: .whitespaces) == expectedContent
                && (appColumn.map { record.service == row[column($0)] } ?? true)
                && !record.fields.contains { $0.name == "_parse_error" }
            if same {
                agree += 1
            } else if firstDisagreement == nil {
                firstDisagreement =
                    "\(line) -> host \(record.host) service \(record.service) pid \(pid) message \(record.message)"
            }
        }
        print("loghub \(dataset): syslog pack agrees with the ground truth on \(agree)/\(lines.count) lines")
        #expect(agree == lines.count, "first disagreement: \(firstDisagreement ?? "")")
    }

    /// The corpus written as the services write their files, detected, joined and parsed: every event
    /// comes back once, with its service, level and (for nginx) status.
    @Test func platformCorpusInNativeFormats() throws {
        var generator = CorpusGenerator(seed: 2026)
        var counts = CorpusCounts()
        var files: [String: [String]] = [:]
        for _ in 0..<4000 {
            let event = generator.next()
            counts.add(event)
            files[event.nativeFileName, default: []].append(
                contentsOf: event.nativeText().dropLast().split(separator: "\n", omittingEmptySubsequences: false)
                    .map(String.init))
        }
        let expectedPack = ["nginx-access.log": "nginx-access", "mysql-slow.log": "mysql-slow"]
        var byServiceLevel: [String: Int] = [:]
        var byStatus: [String: Int] = [:]
        var total = 0
        for (name, lines) in files.sorted(by: { $0.key < $1.key }) {
            let wanted = expectedPack[name] ?? (name.hasSuffix(".jsonl") ? "json" : "springboot")
            let best = try #require(FormatDetector.rank(lines, packs: Self.packs).first)
            #expect(best.pack == wanted, "\(name): detected \(best.pack)")
            #expect(best.coverage == 1, "\(name): \(best)")
            let compiled = try #require(Self.packs.first { $0.pack.name == wanted })
            var parser = PackParser(compiled)
            let service = String(name.prefix { $0 != "." })
            let defaults = RecordDefaults(pathService: service)
            func take(_ bytes: UnsafeRawBufferPointer) {
                let record = parser.record(from: bytes, receivedAt: 0, defaults: defaults)
                total += 1
                byServiceLevel["\(record.service)/\(record.level?.description ?? "-")", default: 0] += 1
                if let status = record.fields.first(where: { $0.name == "status" }), case .int(let code) = status.value
                {
                    byStatus[String(code), default: 0] += 1
                }
                #expect(!record.fields.contains { $0.name == "_parse_error" })
                #expect(record.timestamp > 0)
            }
            if let settings = compiled.pack.multiline {
                var joiner = try MultilineJoiner(settings: settings)
                for line in lines {
                    Array(line.utf8).withUnsafeBytes { bytes in joiner.append(bytes) { take($0.bytes) } }
                }
                joiner.flush { take($0.bytes) }
            } else {
                for line in lines { Array(line.utf8).withUnsafeBytes { take($0) } }
            }
        }
        #expect(total == counts.total)
        #expect(byServiceLevel == counts.byServiceLevel)
        #expect(byStatus == counts.byStatus)
    }
}
