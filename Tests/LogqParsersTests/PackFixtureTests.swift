import Foundation
import LogqIndex
import LogqParsers
import Testing

/// Every built-in pack against its fixture under `fixtures/parsers/`: sample lines and the fields they
/// must give, and a sample file that multi-line joining must cut into the right number of events.
@Suite struct PackFixtureTests {
    static let library = try! BuiltinPacks.library()

    static func fixture(_ name: String) throws -> [String: Any] {
        let url = SharedData.fixtures.appendingPathComponent("parsers/\(name).json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    static func matches(_ expected: Any, _ actual: FieldValue) -> Bool {
        switch actual {
        case .string(let text): return (expected as? String) == text
        case .int(let number):
            guard !(expected is String), let value = expected as? NSNumber else { return false }
            return value.doubleValue == Double(number)
        case .double(let number):
            guard !(expected is String), let value = expected as? NSNumber else { return false }
            return abs(value.doubleValue - number) < 1e-9
        }
    }

    @Test func everyPackHasAFixture() {
        for pack in BuiltinPacks.all {
            let path = SharedData.fixtures.appendingPathComponent("parsers/\(pack.name).json").path
            #expect(FileManager.default.fileExists(atPath: path), "no fixture for \(pack.name)")
        }
    }

    @Test(arguments: BuiltinPacks.all.map(\.name))
    func packFixture(name: String) throws {
        let fixture = try Self.fixture(name)
        let pack = try #require(BuiltinPacks.named(name))
        let compiled = try CompiledPack(pack: pack, library: Self.library)
        let zone = try #require(TimeZoneRule(identifier: fixture["zone"] as? String ?? "UTC"))
        var parser = PackParser(compiled, zone: zone)
        let reference = try #require(TimestampParser.parse(fixture["reference"] as! String, format: .iso8601))
        let cases = fixture["cases"] as! [[String: Any]]
        for (number, testCase) in cases.enumerated() {
            let line = testCase["line"] as! String
            let record = parser.record(from: line, receivedAt: reference)
            let label = "\(name) case \(number + 1)"
            let fields = Dictionary(record.fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
            if testCase["parse_error"] as? Bool == true {
                #expect(fields["_parse_error"] != nil, "\(label): expected a parse error")
                #expect(record.message == line, "\(label): an unmatched line is kept whole")
                continue
            }
            #expect(fields["_parse_error"] == nil, "\(label): \(fields["_parse_error"].map { "\($0)" } ?? "")")
            if let text = testCase["timestamp"] as? String {
                let expected = try #require(TimestampParser.parse(text, format: .iso8601))
                #expect(abs(record.timestamp - expected) < 1_000, "\(label): timestamp \(record.timestamp)")
            }
            if let level = testCase["level"] as? String { #expect(record.level?.description == level, "\(label)") }
            if let service = testCase["service"] as? String { #expect(record.service == service, "\(label)") }
            if let host = testCase["host"] as? String { #expect(record.host == host, "\(label)") }
            if let message = testCase["message"] as? String { #expect(record.message == message, "\(label)") }
            for (field, expected) in testCase["fields"] as? [String: Any] ?? [:] {
                guard let actual = fields[field] else {
                    Issue.record("\(label): no field \(field); got \(fields.keys.sorted())")
                    continue
                }
                #expect(Self.matches(expected, actual), "\(label): \(field) is \(actual), expected \(expected)")
            }
            for field in testCase["absent"] as? [String] ?? [] {
                #expect(fields[field] == nil, "\(label): \(field) should be absent")
            }
        }
        if let lines = fixture["file"] as? [String] {
            try checkJoining(lines, pack: pack, parser: &parser, fixture: fixture, reference: reference)
        }
    }

    func checkJoining(
        _ lines: [String], pack: PatternPack, parser: inout PackParser, fixture: [String: Any], reference: Int64
    ) throws {
        let settings = try #require(pack.multiline)
        var joiner = try MultilineJoiner(settings: settings)
        var events: [[UInt8]] = []
        for line in lines {
            Array(line.utf8).withUnsafeBytes { bytes in joiner.append(bytes) { events.append(Array($0.bytes)) } }
        }
        joiner.flush { events.append(Array($0.bytes)) }
        let records = events.map { event in
            event.withUnsafeBytes { parser.record(from: $0, receivedAt: reference) }
        }
        #expect(records.count == fixture["events"] as? Int, "\(pack.name): events")
        let unparsed = records.filter { $0.fields.contains { $0.name == "_parse_error" } }.count
        #expect(unparsed == fixture["file_unparsed"] as? Int ?? 0, "\(pack.name): unparsed events")
        #expect(records.map(\.message).joined().count <= lines.joined().count + lines.count)
    }

    @Test func baseSetDefinitions() throws {
        let compiler = GrokCompiler(library: Self.library)
        for testCase in try Self.fixture("base")["cases"] as! [[String: Any]] {
            let matcher = GrokMatcher(pattern: try compiler.compile(testCase["expression"] as! String))
            let values = matcher.values(in: testCase["line"] as! String)
            if testCase["no_match"] as? Bool == true {
                #expect(values == nil, "\(testCase["expression"]!)")
                continue
            }
            let found = Dictionary((values ?? []).map { ($0.field, $0.value) }, uniquingKeysWith: { first, _ in first })
            for (field, expected) in testCase["fields"] as! [String: Any] {
                let actual: FieldValue? =
                    switch found[field] {
                    case .string(let text)?: .string(text)
                    case .int(let number)?: .int(number)
                    case .float(let number)?: .double(number)
                    case nil: nil
                    }
                #expect(actual.map { Self.matches(expected, $0) } == true, "\(testCase["expression"]!): \(field)")
            }
        }
    }
}
