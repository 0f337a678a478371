import Foundation
import Logging
import Testing

@testable import LogqIndex
@testable import LogqQuery

/// Numeric comparisons skip blocks by their field ranges (segment format 2). Records whose numbers trend
/// over time (so that blocks differ), of every kind a comparison reads — integers, floats, numeric text,
/// durations and sizes in text, NaN — and random ranges in every unit: the planner answers exactly as a
/// naive evaluator, and it does skip blocks.
@Suite struct NumericPruningTests {
    static func records(count: Int) -> [LogRecord] {
        var state: UInt64 = 2026
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        return (0..<count).map { index in
            var fields: [Field] = []
            // Rising with time, with some spread: most blocks hold a narrow band.
            let base = index * 10 + next(50)
            switch next(20) {
            case 0: fields.append(Field("took_ms", .string("\(base)ms")))
            case 1: fields.append(Field("took_ms", .string(String(base))))
            case 2: fields.append(Field("took_ms", .double(.nan)))
            case 3: break
            case 4...10: fields.append(Field("took_ms", .double(Double(base) + 0.5)))
            default: fields.append(Field("took_ms", .int(Int64(base))))
            }
            if index >= count / 2 { fields.append(Field("bytes", .int(Int64(next(4096) + (index - count / 2) * 100)))) }
            if next(40) == 0 { fields.append(Field("bytes", .string("\(next(64))KiB"))) }
            return LogRecord(
                timestamp: 1_795_424_400_000_000_000 + Int64(index) * 1_000_000, level: .info, service: "order",
                host: "a", message: "request \(index)", fields: fields)
        }
    }

    @Test func blockRangesSkipBlocksAndNeverChangeAnAnswer() async throws {
        let all = Self.records(count: 4000)
        let directory = "/tmp/logq-tests-\(getpid())-numericpruning-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try LogStore(
            directory: directory, options: .init(flushAge: .seconds(3600), segment: .init(recordsPerBlock: 32)),
            logger: Logger(label: "test"))
        defer { store.close() }
        try await store.append(all)
        try await store.flush()
        let executor = QueryExecutor(snapshot: store.snapshot())
        let segment = try #require(store.snapshot().segments.first)
        #expect(segment.fieldRanges?.count == segment.blocks.count)

        var state: UInt64 = 7
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var skipped = 0
        for _ in 0..<600 {
            let field = next(3) == 0 ? "bytes" : "took_ms"
            let unit: NumericRange.Unit = [.plain, .seconds, .bytes][next(3)]
            let scale = unit == .seconds ? 1e-3 : 1
            let low = Double(next(45_000)) * scale
            let width = Double(next(3_000)) * scale
            let range: NumericRange
            switch next(3) {
            case 0: range = NumericRange(lower: low, lowerInclusive: next(2) == 0, unit: unit)
            case 1: range = NumericRange(upper: low, upperInclusive: next(2) == 0, unit: unit)
            default:
                range = NumericRange(
                    lower: low, lowerInclusive: next(2) == 0, upper: low + width, upperInclusive: next(2) == 0,
                    unit: unit)
            }
            let query = Query(root: .filter(.numericRange(field: field, range: range)))
            let expected = all.filter(query.matches)
            #expect(try executor.count(query) == expected.count, "count of \(query)")
            #expect(
                try executor.search(query, limit: 10).map(\.timestamp)
                    == Array(expected.map(\.timestamp).sorted(by: >).prefix(10)), "search \(query)")
            let candidates = try executor.candidates(for: query, in: segment).ordinals.count
            if candidates < all.count { skipped += 1 }
        }
        // Not a vacuous pass: most of the ranges skipped blocks.
        #expect(skipped > 300, "\(skipped) of 600 queries skipped a block")
    }

    @Test func aVersionOneSegmentHasNoRangesAndIsScannedAsBefore() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/segments/v1")
        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: fixture.path).first { $0.hasSuffix(".seg") })
        let segment = try SegmentReader(path: fixture.path + "/" + file)
        #expect(segment.fieldRanges == nil)
        let query = try Query.parse("status:>=500")
        let executor = QueryExecutor(snapshot: StoreSnapshot(segments: [segment], memtableChunks: []))
        let expected = try segment.blocks.indices.flatMap { try segment.readBlock($0) }.filter(query.matches).count
        #expect(try executor.count(query) == expected)
    }
}
