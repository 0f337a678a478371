import Foundation
import Logging
import LogqIndex
import Testing

@testable import LogqQuery

/// Random pipelines over random records: printed and parsed back unchanged, and answered by the
/// executor (index candidates, block decoding, bounded aggregation) exactly as a naive evaluation over
/// every record in memory answers them — 1,000 cases per run.
@Suite struct PipeDifferentialTests {
    typealias Random = RandomQueryDifferentialTests.Random
    let filters = RandomQueryDifferentialTests()
    static let groupFields = ["service", "level", "host", "status", "traceId", "nothing"]
    static let numericFields = ["elapsed", "status", "nothing"]

    func pipe(_ random: inout Random) -> QueryPipe {
        let by = (0..<random.below(3)).map { _ in random.pick(Self.groupFields) }
        let byUnique = by.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        switch random.below(5) {
        case 0: return .count(by: byUnique)
        case 1: return .top(1 + random.below(4), by: byUnique.isEmpty ? ["service"] : byUnique)
        case 2: return .histogram(step: Int64(1 + random.below(3)) * 1_000_000, by: Array(byUnique.prefix(1)))
        default:
            let kinds: [StatsFunction.Kind] = [.sum, .avg, .min, .max, .countUniq, .quantile(0.5), .quantile(0.95)]
            var functions = [StatsFunction(.count, nil)]
            for _ in 0..<random.below(3) {
                functions.append(StatsFunction(random.pick(kinds), random.pick(Self.numericFields)))
            }
            return .stats(functions, by: byUnique)
        }
    }

    /// The same answer computed the plain way: group every matching record, then order as the pipe says.
    func naive(_ pipe: QueryPipe, _ records: [LogRecord]) -> [[String]] {
        func key(_ record: LogRecord, _ by: [String]) -> [TableValue] {
            by.map { FieldAccess.value(of: $0, in: record) }
        }
        func text(_ values: [TableValue]) -> [String] { values.map(\.description) }
        switch pipe {
        case .count(let by) where by.isEmpty:
            return [[String(records.count)]]
        case .count(let by), .top(_, let by):
            let groups = Dictionary(grouping: records) { key($0, by) }
            var rows = groups.map { (key: $0.key, count: $0.value.count) }
            rows.sort { lhs, rhs in
                if lhs.count != rhs.count { return lhs.count > rhs.count }
                for (a, b) in zip(lhs.key, rhs.key) where a != b { return TableValue.ascending(a, b) }
                return false
            }
            if case .top(let limit, _) = pipe { rows = Array(rows.prefix(limit)) }
            return rows.map { text($0.key) + [String($0.count)] }
        case .histogram(let step, let by):
            let groups = Dictionary(grouping: records) { record -> [TableValue] in
                let start = record.timestamp - ((record.timestamp % step) + step) % step
                return [.number(Double(start / 1_000_000))] + key(record, by)
            }
            return groups.keys.sorted { lhs, rhs in
                for (a, b) in zip(lhs, rhs) where a != b { return TableValue.ascending(a, b) }
                return false
            }.map { key in
                guard case .number(let start) = key[0] else { return [] }
                return [TimestampFormat.rfc3339(Int64(start) * 1_000_000)] + text(Array(key.dropFirst())) + [
                    String(groups[key]!.count)
                ]
            }
        case .stats(let functions, let by):
            var groups = Dictionary(grouping: records) { key($0, by) }
            if groups.isEmpty && by.isEmpty { groups[[]] = [] }
            return groups.keys.sorted { lhs, rhs in
                for (a, b) in zip(lhs, rhs) where a != b { return TableValue.ascending(a, b) }
                return false
            }.map { key in
                let members = groups[key]!
                return text(key)
                    + functions.map { function -> String in
                        let numbers = members.compactMap { FieldAccess.number(of: function.field ?? "", in: $0) }
                        switch function.kind {
                        case .count: return String(members.count)
                        case .countUniq:
                            return String(
                                Set(
                                    members.map { FieldAccess.value(of: function.field!, in: $0) }.filter {
                                        $0 != .null
                                    }
                                ).count)
                        case .sum: return numbers.isEmpty ? "" : TableValue.number(numbers.reduce(0, +)).description
                        case .avg:
                            return numbers.isEmpty
                                ? "" : TableValue.number(numbers.reduce(0, +) / Double(numbers.count)).description
                        case .min: return numbers.min().map { TableValue.number($0).description } ?? ""
                        case .max: return numbers.max().map { TableValue.number($0).description } ?? ""
                        case .quantile(let fraction):
                            let sorted = numbers.sorted()
                            guard !sorted.isEmpty else { return "" }
                            let rank = Int((fraction * Double(sorted.count)).rounded(.up))
                            return TableValue.number(sorted[max(1, min(rank, sorted.count)) - 1]).description
                        }
                    }
            }
        case .sort, .limit, .fields:
            return []
        }
    }

    /// Equal cell by cell; numbers within a relative 1e-9 (sums in another order round differently).
    static func same(_ lhs: [[String]], _ rhs: [[String]]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (left, right) in zip(lhs, rhs) {
            guard left.count == right.count else { return false }
            for (a, b) in zip(left, right) where a != b {
                guard let x = Double(a), let y = Double(b), abs(x - y) <= 1e-9 * max(abs(x), abs(y)) else {
                    return false
                }
            }
        }
        return true
    }

    /// `| count by (column)` over exact candidates is read from posting lists; the records no list holds
    /// (no value, a value held once in its segment, one past the index's length limit) are read from their
    /// blocks. Plain histograms count whole blocks inside one bucket from the block directory. Every case,
    /// with and without a filter, against the naive answer.
    @Test func countsByAColumnFromPostingsIncludeTheRecordsNoListHolds() async throws {
        let long = String(repeating: "x", count: StorageLimits.maxIndexedValueBytes + 1)
        var records: [LogRecord] = []
        for index in 0..<600 {
            let service =
                index == 17 ? "once" : index % 50 == 0 ? long : index % 7 == 0 ? "" : ["order", "member"][index % 2]
            records.append(
                LogRecord(
                    timestamp: 1_000_000_000 * Int64(index), level: index % 3 == 0 ? .error : .info,
                    service: service, host: index % 11 == 0 ? "" : "h\(index % 3)", message: "event \(index)"))
        }
        let store = try await segmentedStore(records, flushedAt: [300, records.count], name: "column-counts")
        defer { store.close() }
        let executor = QueryExecutor(snapshot: store.snapshot())
        for text in [
            "* | count by (service)", "level:error | count by (service)", "* | top 3 by (host)",
            "level:info | count by (host)", "* | count by (level)", "service:order | count by (level)",
            // Histograms: whole blocks in one bucket are counted from the directory, the rest read.
            "* | histogram 1h", "* | histogram 100s", "level:error | histogram 1h",
        ] {
            let query = try Query.parse(text)
            let expected = naive(query.pipes[0], records.filter(query.matches))
            guard case .table(let table) = try executor.run(query, limit: 1_000_000) else {
                Issue.record("\(text) gave no table")
                continue
            }
            #expect(Self.same(table.rows.map { $0.map(\.description) }, expected), "\(text)")
        }
    }

    @Test func pipelinesEqualANaiveEvaluationAndRoundTrip() async throws {
        var random = Random(state: 2027)
        let all = filters.records(&random, count: 1200)
        let store = try await segmentedStore(all, flushedAt: [500, 1000], name: "pipes")
        defer { store.close() }
        let executor = QueryExecutor(snapshot: store.snapshot())

        for _ in 0..<1000 {
            let query = Query(root: filters.node(&random, depth: random.below(3)), pipes: [pipe(&random)])
            let reparsed = try Query.parse(query.description)
            #expect(reparsed.pipes == query.pipes, "round trip changed \(query)")
            let expected = naive(query.pipes[0], all.filter(query.matches))
            guard case .table(let table) = try executor.run(reparsed, limit: 1_000_000) else {
                Issue.record("no table for \(query)")
                continue
            }
            let got = table.rows.map { $0.map(\.description) }
            #expect(Self.same(got, expected), "\(query): \(got) against \(expected)")
        }
    }

    @Test func sortLimitAndFieldsApplyInOrder() async throws {
        var random = Random(state: 7)
        let all = filters.records(&random, count: 300)
        let directory = "/tmp/logq-tests-\(getpid())-pipes-sort-\(UInt32.random(in: 0...UInt32.max))"
        let store = try LogStore(
            directory: directory, options: .init(segment: .init(recordsPerBlock: 32)), logger: Logger(label: "test"))
        defer { store.close() }
        try await store.append(all)
        try await store.flush()
        let executor = QueryExecutor(snapshot: store.snapshot())

        let query = try Query.parse("status:* | sort by (status desc, _time) | limit 5 | fields _time, status")
        #expect(query.description == "status:* | sort by (status desc, _time) | limit 5 | fields _time, status")
        let expected = all.filter { FieldAccess.number(of: "status", in: $0) != nil }.sorted {
            let (a, b) = (FieldAccess.number(of: "status", in: $0)!, FieldAccess.number(of: "status", in: $1)!)
            return a != b ? a > b : $0.timestamp < $1.timestamp
        }.prefix(5)
        guard case .table(let table) = try executor.run(query, limit: 100) else {
            Issue.record("expected a table")
            return
        }
        #expect(table.columns == ["_time", "status"])
        #expect(
            table.rows.map { $0[1].description } == expected.map { FieldAccess.value(of: "status", in: $0).description }
        )
        #expect(table.rows.map { $0[0].description } == expected.map { TimestampFormat.rfc3339($0.timestamp) })

        // Rows after an aggregation sort and trim the same way.
        let top = try executor.run(
            try Query.parse("* | count by (service) | sort by (service desc) | limit 2"), limit: 100)
        guard case .table(let rows) = top else { return }
        #expect(
            rows.rows.map { $0[0].description } == Array(Set(all.map(\.service))).sorted(by: >).prefix(2).map { $0 })

        // Limits give clear errors instead of unbounded memory.
        let tight = QueryExecutor.PipelineLimits(maxGroups: 3, maxValues: 10, maxSortedRecords: 10)
        #expect(throws: QueryExecutor.PipelineError.self) {
            try executor.run(try Query.parse("* | count by (traceId)"), limit: 10, limits: tight)
        }
        #expect(throws: QueryExecutor.PipelineError.self) {
            try executor.run(try Query.parse("* | stats p50(elapsed)"), limit: 10, limits: tight)
        }
        #expect(throws: QueryExecutor.PipelineError.self) {
            try executor.run(try Query.parse("* | sort by (_time)"), limit: 10, limits: tight)
        }
        #expect(throws: QueryExecutor.PipelineError.self) {
            try executor.run(try Query.parse("* | limit 3 | count"), limit: 10)
        }
    }

    @Test func badPipesPointAtTheirPosition() {
        for (text, position) in [
            ("* | bogus", 4), ("* | top by (service)", 8), ("* | stats", 9), ("* | stats median(x)", 10),
            ("* | histogram forever", 14), ("* | sort (x)", 4), ("* | count by service", 13), ("* |", 3),
            ("* | limit 0", 10), ("* | stats count(x)", 10),
        ] {
            do {
                _ = try Query.parse(text)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.position == position, "\(text): \(error)")
            }
        }
    }
}
