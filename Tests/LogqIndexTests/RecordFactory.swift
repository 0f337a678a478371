import Foundation
import LogqIndex

/// Random but reproducible records for round-trip and differential tests. FormatCompatibilityTests
/// compares a committed segment with the records of seed 2026: change this generator and that fixture fails.
struct RecordFactory {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }

    mutating func record(at timestamp: Int64) -> LogRecord {
        let words = [
            "payment", "failed", "order", "timeout", "Lock", "wait", "cache", "miss", "user", "latte", "ünïcode",
        ]
        let message = (0..<(1 + Int(next() % 8))).map { _ in pick(words) }.joined(separator: pick([" ", "=", ", "]))
        var fields: [Field] = [Field("traceId", .string(String(next(), radix: 16)))]
        if next() % 3 == 0 { fields.append(Field("status", .int(Int64(pick([200, 404, 500, 504]))))) }
        if next() % 4 == 0 { fields.append(Field("request_time", .double(Double(next() % 5000) / 1000))) }
        return LogRecord(
            timestamp: timestamp,
            level: next() % 7 == 0 ? nil : pick(LogLevel.allCases),
            service: pick(["order", "member", "gateway", ""]),
            host: pick(["app-01", "app-02"]),
            source: pick(["tcp", "/var/log/app.log"]),
            message: message + (next() % 10 == 0 ? "\n\tat com.coffee.Order.run(Order.java:42)" : ""),
            fields: fields
        )
    }

    mutating func records(count: Int, start: Int64 = 1_795_424_400_000_000_000) -> [LogRecord] {
        var timestamp = start
        return (0..<count).map { _ in
            timestamp += Int64(next() % 5_000_000)
            return record(at: timestamp)
        }
    }
}

func temporaryDirectory(_ name: String = #function) -> String {
    let path = "/tmp/logq-tests-\(getpid())-\(name.filter(\.isLetter))-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
