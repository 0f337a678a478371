import Foundation
import Logging
import LogqIndex
import Testing

@testable import LogqQuery

/// The planner's answer (index lookups, pruning, early stop) equals a naive scan's, on random records.
@Suite struct ExecutorDifferentialTests {
    static let queries = [
        "*", "level:error", "service:order level:error", "timeout", "\"lock wait\"", "payment failed", "status:500",
        "request_time:0.5", "service:absent", "host:app-02 latte", "ünïcode", "level:warn service:gateway cache",
        "source:/var/log/app.log", "traceId:zzz", "\"wait timeout\"", "\"payment failed cache\" level:error",
        "rid:r17", "rid:r2999 level:error", "rid:r1500 OR rid:r2", "/wait\\s+timeout/", "/(?i)lock wait/", "/cache$/",
        "/failed(?=\\n)/", "service:order /ordER|order/",
    ]

    func randomRecords(seed: UInt64, count: Int) -> [LogRecord] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let words = ["payment", "failed", "Lock", "wait", "timeout", "cache", "latte", "ünïcode", "order"]
        var timestamp: Int64 = 1_795_424_400_000_000_000
        var ridCounter = 0
        return (0..<count).map { _ in
            // Equal timestamps happen: several lines in one millisecond.
            timestamp += Int64(next() % 3) * 1_000_000
            // Some messages go on over several lines (a stack trace's shape): a phrase may span the first
            // line's end, or lie past it.
            var message = ""
            for index in 0..<(1 + Int(next() % 6)) {
                if index > 0 { message += next() % 4 == 0 ? "\n\t" : " " }
                message += words[Int(next() % UInt64(words.count))]
            }
            // `rid` is held by one record each: its terms live in the blocks' filters, not in posting lists.
            ridCounter += 1
            var fields = [Field("traceId", .string(String(next() % 50))), Field("rid", .string("r\(ridCounter)"))]
            if next() % 2 == 0 { fields.append(Field("status", .int([200, 500, 504][Int(next() % 3)]))) }
            if next() % 3 == 0 { fields.append(Field("request_time", .double([0.5, 1.25][Int(next() % 2)]))) }
            return LogRecord(
                timestamp: timestamp,
                level: LogLevel.allCases[Int(next() % 6)],
                service: ["order", "gateway", "member"][Int(next() % 3)],
                host: ["app-01", "app-02"][Int(next() % 2)],
                source: ["tcp", "/var/log/app.log"][Int(next() % 2)],
                message: message,
                fields: fields
            )
        }
    }

    @Test(arguments: [1 as UInt64, 2, 3])
    func plannerEqualsNaiveScan(seed: UInt64) async throws {
        let directory = "/tmp/logq-tests-\(getpid())-differential-\(seed)-\(UInt32.random(in: 0...UInt32.max))"
        let store = try LogStore(
            directory: directory,
            options: .init(segment: .init(recordsPerBlock: 64, messageGroupBytes: 128)),
            logger: Logger(label: "test"))
        defer { store.close() }
        let records = randomRecords(seed: seed, count: 3000)
        // Three segments, overlapping in time, plus records still in the memtable.
        try await store.append(Array(records[0..<1000]))
        try await store.flush()
        try await store.append(Array(records[2000..<2600]))
        try await store.flush()
        try await store.append(Array(records[1000..<2000]))
        try await store.flush()
        try await store.append(Array(records[2600...]))

        let executor = QueryExecutor(snapshot: store.snapshot())
        for text in Self.queries {
            let query = try Query.parse(text)
            let expected = records.filter(query.matches)
            #expect(try executor.count(query) == expected.count, "\(text)")
            for limit in [1, 7, 100, 10_000] {
                let found = try executor.search(query, limit: limit)
                let expectedTimes = expected.map(\.timestamp).sorted(by: >).prefix(limit)
                #expect(found.map(\.timestamp) == Array(expectedTimes), "\(text) limit \(limit)")
                #expect(found.allSatisfy(query.matches))
            }
        }
    }

    @Test func intersectionOfSortedLists() {
        #expect(intersect([1, 5, 9], [0, 1, 2, 3, 4, 5, 6, 7, 8, 10]) == [1, 5])
        #expect(intersect([], [1]) == [])
        #expect(intersect([3], [3]) == [3])
        #expect(intersect([2, 4, 1000], Array(0..<500)) == [2, 4])
    }
}
