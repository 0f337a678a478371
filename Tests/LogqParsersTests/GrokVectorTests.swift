import Foundation
import LogqParsers
import Testing

/// Logstash's own pattern files and spec vectors (`../shared/grok-vectors`), run through our grok engine
/// with Logstash's semantics: an unanchored search, dot matching newline, empty captures unset, and a
/// second value for a field turning it into an array.
@Suite struct GrokVectorTests {
    struct Vector {
        let grok: String
        let line: String
        let match: Bool
        let expect: [String: Any]
        let absent: [String]
        let present: [String]
        let label: String
    }

    static func loadVectors(_ folder: URL) throws -> [Vector] {
        let text = try String(contentsOf: folder.appendingPathComponent("vectors.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return Vector(
                grok: object["grok"] as! String, line: object["line"] as! String, match: object["match"] as! Bool,
                expect: object["expect"] as? [String: Any] ?? [:], absent: object["absent"] as? [String] ?? [],
                present: object["present"] as? [String] ?? [],
                label: "\(object["source"] ?? "?"):\(object["spec_line"] ?? "?") \(object["pattern"] ?? "")")
        }
    }

    /// Builds the event grok would: `message` first, then each capture, never overwriting.
    static func event(line: String, values: [(field: String, value: GrokValue)]) -> [String: [GrokValue]] {
        var event: [String: [GrokValue]] = ["message": [.string(line)]]
        for (field, value) in values {
            guard let existing = event[field] else {
                event[field] = [value]
                continue
            }
            if case .string = existing.last! { event[field] = existing + [value] }
        }
        return event
    }

    static func same(_ expected: Any, _ actual: [GrokValue]) -> Bool {
        if let list = expected as? [Any] {
            return list.count == actual.count && zip(list, actual).allSatisfy { same($0, [$1]) }
        }
        guard actual.count == 1 else { return false }
        switch actual[0] {
        case .string(let text): return (expected as? String) == text
        case .int(let number):
            guard let expectedNumber = expected as? NSNumber, !(expected is String) else { return false }
            return expectedNumber.int64Value == number && expectedNumber.doubleValue == Double(number)
        case .float(let number):
            guard let expectedNumber = expected as? NSNumber, !(expected is String) else { return false }
            return abs(expectedNumber.doubleValue - number) <= 1e-9 * max(1, abs(number))
        }
    }

    static func failure(of vector: Vector, compiler: GrokCompiler) -> String? {
        let pattern: GrokPattern
        do {
            pattern = try compiler.compile(vector.grok)
        } catch {
            return "does not compile: \(error)"
        }
        let matcher = GrokMatcher(pattern: pattern)
        guard let values = matcher.values(in: vector.line) else {
            let outcome = vector.line.utf8.withContiguousStorageIfAvailable {
                matcher.match(UnsafeRawBufferPointer($0))
            }
            return vector.match ? "expected a match, got \(outcome.map { "\($0)" } ?? "none")" : nil
        }
        guard vector.match else { return "expected no match, but it matched" }
        let event = event(line: vector.line, values: values)
        for (field, expected) in vector.expect where !same(expected, event[field] ?? []) {
            return "\(field): expected \(expected), got \(event[field].map { "\($0)" } ?? "nothing")"
        }
        if let field = vector.absent.first(where: { event[$0] != nil }) { return "\(field) should be absent" }
        if let field = vector.present.first(where: { event[$0] == nil }) { return "\(field) should be set" }
        return nil
    }

    @Test func logstashVectorsPass() throws {
        guard let folder = SharedData.folder("grok-vectors") else { return }
        var library = GrokPatternLibrary()
        try library.load(path: folder.appendingPathComponent("patterns").path)
        let compiler = GrokCompiler(library: library)
        let vectors = try Self.loadVectors(folder)
        var failures: [String] = []
        for vector in vectors {
            if let reason = Self.failure(of: vector, compiler: compiler) {
                failures.append("\(vector.label): \(reason)")
            }
        }
        let passed = vectors.count - failures.count
        print(
            "grok vectors: \(passed)/\(vectors.count) pass "
                + "(\(String(format: "%.1f", 100 * Double(passed) / Double(vectors.count)))%)")
        for failure in failures.prefix(20) { print("  FAIL \(failure)") }
        #expect(vectors.count == 264)
        #expect(failures.isEmpty, "\(failures.count) vectors fail; the first: \(failures.first ?? "")")
    }

    @Test func everyLogstashDefinitionCompiles() throws {
        guard let folder = SharedData.folder("grok-vectors") else { return }
        var library = GrokPatternLibrary()
        try library.load(path: folder.appendingPathComponent("patterns").path)
        #expect(library.definitions.count == 317)
        #expect(GrokCompiler(library: library).validateLibrary().isEmpty)

        // As written, PCRE2 rejects SHOREWALL's `.?*`: the error names the file, the line and PCRE2's reason.
        let errors = GrokCompiler(library: library, compatibility: false).validateLibrary()
        let described = errors.map(\.description)
        #expect(described.contains { $0.contains("SHOREWALL") && $0.contains("patterns/firewalls:") })
        #expect(described.allSatisfy { $0.contains("quantifier does not follow a repeatable item") })
    }
}
