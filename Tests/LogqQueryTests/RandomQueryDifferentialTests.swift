import Foundation
import Logging
import LogqIndex
import Testing

@testable import LogqQuery

/// Random queries over random records: printed, parsed back, and answered by the planner exactly as a
/// naive evaluator answers them — 1,200 query cases per run.
@Suite struct RandomQueryDifferentialTests {
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    }

    static let words = ["payment", "failed", "lock", "wait", "timeout", "cache", "latte", "order", "ünïcode"]

    func records(_ random: inout Random, count: Int) -> [LogRecord] {
        var timestamp: Int64 = 1_795_424_400_000_000_000
        return (0..<count).map { _ in
            timestamp += Int64(random.below(3)) * 1_000_000
            let message = (0..<(1 + random.below(5))).map { _ in random.pick(Self.words) }.joined(separator: " ")
            var fields = [Field("traceId", .string("t\(random.below(40))"))]
            if random.below(2) == 0 { fields.append(Field("status", .int(Int64(random.pick([200, 404, 500, 504]))))) }
            if random.below(3) == 0 { fields.append(Field("elapsed", .double(Double(random.below(5000)) / 10))) }
            return LogRecord(
                timestamp: timestamp, level: random.below(8) == 0 ? nil : random.pick(LogLevel.allCases),
                service: random.pick(["order", "gateway", "member", "orders"]), host: random.pick(["a", "b"]),
                message: message, fields: fields)
        }
    }

    func filter(_ random: inout Random) -> Filter {
        switch random.below(11) {
        case 10:
            let pattern = random.pick([
                "wait|lock", "^pay", "t1[0-9]", "ord(er)?s?$", "c.che", "(?i)LATTE", "timeout\\b",
                // Whole words inside required text: the index narrows these before the regex runs.
                "lock wait t", "e failed \\w+", "t Lock wait ", "\\bwait timeout ", "(?i)a lock wait t",
            ])
            return .regex(field: random.pick(["_msg", "service", "traceId"]), try! QueryRegex(pattern))
        case 9:
            // Around the records' times (they start at 1_795_424_400 s and step up to 2 ms).
            let base: Int64 = 1_795_424_400_000_000_000
            let from = base + Int64(random.below(1500)) * 1_000_000
            return .timeRange(
                from: random.below(4) == 0 ? nil : from,
                to: random.below(4) == 0 ? nil : from + Int64(random.below(1500)) * 1_000_000)
        case 0: return .field("level", random.pick(["error", "warn", "info", "debug"]))
        case 1: return .field("service", random.pick(["order", "gateway", "member", "nope"]))
        case 2: return .words(random.pick(Self.words))
        case 3: return .words(random.pick(["lock wait", "payment failed", "wait timeout", "cache cache"]))
        case 4: return .field("traceId", "t\(random.below(45))")
        case 5:
            return .fieldPrefix(
                field: random.pick(["service", "traceId", "_msg"]), prefix: random.pick(["ord", "t1", "ca", "g"]))
        case 6: return .fieldExists(field: random.pick(["status", "elapsed", "nothing"]))
        case 7:
            let bound = Double(random.pick([200, 404, 500, 504]))
            return .numericRange(
                field: "status",
                range: random.below(2) == 0
                    ? NumericRange(lower: bound, lowerInclusive: random.below(2) == 0)
                    : NumericRange(upper: bound, upperInclusive: random.below(2) == 0))
        default:
            let low = Double(random.below(300))
            return .numericRange(
                field: "elapsed", range: NumericRange(lower: low, upper: low + Double(random.below(300))))
        }
    }

    func node(_ random: inout Random, depth: Int) -> QueryNode {
        guard depth > 0 else { return .filter(filter(&random)) }
        switch random.below(5) {
        case 0: return .and((0..<(2 + random.below(2))).map { _ in node(&random, depth: depth - 1) })
        case 1: return .or((0..<(2 + random.below(2))).map { _ in node(&random, depth: depth - 1) })
        case 2: return .not(node(&random, depth: depth - 1))
        default: return .filter(filter(&random))
        }
    }

    @Test func plannerEqualsNaiveEvaluatorOnRandomQueries() async throws {
        var random = Random(state: 99)
        let all = records(&random, count: 1500)
        let store = try await segmentedStore(all, flushedAt: [600, 1300], name: "randomqueries")
        defer { store.close() }
        let executor = QueryExecutor(snapshot: store.snapshot())

        for _ in 0..<1200 {
            let query = Query(root: node(&random, depth: random.below(4)))
            let reparsed = try Query.parse(query.description)
            let expected = all.filter(query.matches)
            #expect(all.filter(reparsed.matches).count == expected.count, "round trip changed \(query)")
            #expect(try executor.count(reparsed) == expected.count, "count of \(query)")
            let newest = try executor.search(reparsed, limit: 20)
            #expect(
                newest.map(\.timestamp) == Array(expected.map(\.timestamp).sorted(by: >).prefix(20)), "search \(query)")
        }
    }
}
