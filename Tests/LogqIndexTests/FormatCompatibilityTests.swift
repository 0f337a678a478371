import Foundation
import Testing

@testable import LogqIndex

/// Every segment format version ever written stays readable: a committed file per version, read forever.
///
/// To create the fixture of a new version: `LOGQ_WRITE_FIXTURES=1 swift test --filter FormatCompatibilityTests`,
/// then commit `fixtures/segments/vN/`.
@Suite struct FormatCompatibilityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../fixtures/segments").standardizedFileURL.path

    static func fixtureRecords() -> [LogRecord] {
        var factory = RecordFactory(seed: 2026)
        return factory.records(count: 300)
    }

    static let checkedTerms = [
        Term(field: "level", value: "error"), Term(field: "service", value: "order"), Term.word("timeout"),
        Term.word("ünïcode"), Term(field: "status", value: "504"), Term(field: "host", value: "app-02"),
    ]

    @Test func writesTheCurrentVersionsFixtureWhenAsked() throws {
        guard ProcessInfo.processInfo.environment["LOGQ_WRITE_FIXTURES"] == "1" else { return }
        let directory = "\(Self.fixtures)/v\(SegmentFormat.version)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let records = Self.fixtureRecords()
        try SegmentWriter(options: .init(recordsPerBlock: 128, messageGroupBytes: 256)).write(
            records, to: directory + "/platform-300.seg")
        var postings: [String: [UInt32]] = [:]
        let reader = try SegmentReader(path: directory + "/platform-300.seg")
        for term in Self.checkedTerms { postings[term.description] = try reader.postings(for: term) }
        let expected = Expected(recordCount: records.count, blockCount: reader.blocks.count, postings: postings)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(expected).write(to: URL(fileURLWithPath: directory + "/platform-300.expected.json"))
    }

    struct Expected: Codable {
        var recordCount: Int
        var blockCount: Int
        var postings: [String: [UInt32]]
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func readsEveryCommittedVersion(version: Int) throws {
        let directory = "\(Self.fixtures)/v\(version)"
        let reader = try SegmentReader(path: directory + "/platform-300.seg")
        let expected = try JSONDecoder().decode(
            Expected.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/platform-300.expected.json")))
        #expect(reader.recordCount == expected.recordCount)
        #expect(reader.blocks.count == expected.blockCount)
        // The records are generated from a fixed seed, so the file must decode to exactly them.
        let decoded = try (0..<reader.blocks.count).flatMap { try reader.readBlock($0) }
        #expect(decoded == Self.fixtureRecords())
        // Word and phrase checks read messages in place: the same bytes in every version.
        let messages = try reader.blocks.indices.flatMap { block in
            try reader.withMessageBytes(block, rows: nil) { $0.map { String(decoding: $0, as: UTF8.self) } }
        }
        #expect(messages == decoded.map(\.message))
        // Checks on first lines (version 5; whole messages before) find the same rows as on whole messages.
        for block in reader.blocks.indices {
            let rows = Array(0..<reader.blocks[block].recordCount)
            let expected = try reader.withMessageBytes(block, rows: rows) { messages in
                rows.filter { PhraseMatcher(["order"]).matches(messages[$0]) }
            }
            #expect(
                try reader.rows(
                    block, rows: rows, passing: { PhraseMatcher(["order"]).matches($0) }, firstLineSuffices: true)
                    == expected)
        }
        for term in Self.checkedTerms {
            #expect(try reader.postings(for: term) == expected.postings[term.description], "\(term)")
        }
        // Version 2 added per-block field ranges; verifyInvariants checks them against the records.
        #expect((reader.fieldRanges != nil) == (version >= 2))
        try reader.verifyInvariants()
    }
}
