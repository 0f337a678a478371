import LogqParsers
import Testing

@Suite struct MultilineTests {
    static func join(_ lines: [String], _ settings: MultilineSettings) throws -> [(String, Bool)] {
        var joiner = try MultilineJoiner(settings: settings)
        var events: [(String, Bool)] = []
        let collect = { (event: MultilineJoiner.Event) in
            events.append((String(decoding: event.bytes, as: UTF8.self), event.split))
        }
        for line in lines {
            Array(line.utf8).withUnsafeBytes { joiner.append($0, emit: collect) }
        }
        joiner.flush(emit: collect)
        return events
    }

    @Test func javaStackTraceJoinsTheLineBefore() throws {
        let settings = MultilineSettings(pattern: "^[0-9]{4}-", negate: true, match: .after)
        let events = try Self.join(
            ["2026-01 a", "\tat x", "\tat y", "2026-01 b", "2026-01 c", "Caused by: z"], settings)
        #expect(events.map(\.0) == ["2026-01 a\n\tat x\n\tat y", "2026-01 b", "2026-01 c\nCaused by: z"])
        // Continuation lines with nothing before them still make an event: nothing is dropped.
        #expect(try Self.join(["\tat orphan", "2026-01 a"], settings).map(\.0) == ["\tat orphan", "2026-01 a"])
    }

    @Test func matchingLinesPrependToTheNextLine() throws {
        // negate false + before: lines ending in a backslash continue onto the next line.
        let settings = MultilineSettings(pattern: #"\\$"#, negate: false, match: .before)
        let events = try Self.join(["one \\", "two \\", "three", "four"], settings)
        #expect(events.map(\.0) == ["one \\\ntwo \\\nthree", "four"])
    }

    @Test func nonNegatedAfterAppendsMatchingLines() throws {
        let settings = MultilineSettings(pattern: "^\\s", negate: false, match: .after)
        #expect(try Self.join(["a", " b", " c", "d"], settings).map(\.0) == ["a\n b\n c", "d"])
    }

    @Test func maxLinesSplitsWithoutDropping() throws {
        let settings = MultilineSettings(pattern: "^S", negate: true, match: .after, maxLines: 3)
        let events = try Self.join(["S1", "c", "c", "c", "c", "S2"], settings)
        #expect(events.map(\.0) == ["S1\nc\nc", "c\nc", "S2"])
        #expect(events.map(\.1) == [true, true, false])
    }

    @Test func leadLinesJoinTheEventThatFollows() throws {
        let settings = MultilineSettings(
            pattern: "^# (?:Time|User@Host): ", negate: true, match: .after, leadPattern: "^# Time: ")
        let lines = [
            "# Time: t1", "# User@Host: a", "SELECT 1;", "# User@Host: b", "SELECT 2;", "# Time: t3",
            "# User@Host: c", "SELECT 3;",
        ]
        #expect(
            try Self.join(lines, settings).map(\.0) == [
                "# Time: t1\n# User@Host: a\nSELECT 1;", "# User@Host: b\nSELECT 2;",
                "# Time: t3\n# User@Host: c\nSELECT 3;",
            ])
    }

    @Test func idleEventIsFlushedAfterTheTimeout() throws {
        let settings = MultilineSettings(
            pattern: "^S", negate: true, match: .after, flushTimeoutNanoseconds: 1_000)
        var joiner = try MultilineJoiner(settings: settings)
        var events: [String] = []
        Array("S1".utf8).withUnsafeBytes {
            joiner.append($0, at: 10) { events.append(String(decoding: $0.bytes, as: UTF8.self)) }
        }
        joiner.flushIfIdle(now: 500) { events.append(String(decoding: $0.bytes, as: UTF8.self)) }
        #expect(events.isEmpty)
        joiner.flushIfIdle(now: 1_010) { events.append(String(decoding: $0.bytes, as: UTF8.self)) }
        #expect(events == ["S1"])
        #expect(!joiner.hasPendingEvent)
    }
}

@Suite struct ServiceFromPathTests {
    @Test(arguments: [
        ("/var/log/order/order-service.log", "order-service"),
        ("/var/log/order/order-service.log.1.gz", "order-service"),
        ("/var/log/member/member-20261123.log", "member"),
        ("/var/log/nginx/access.log", "nginx"),
        ("/var/log/nginx/error.log.2", "nginx"),
        ("/var/log/mysql/mysql-slow.log", "mysql"),
        ("/srv/ai/recommender.jsonl", "recommender"),
        ("/var/log/syslog", "syslog"),
    ])
    func serviceFromPath(path: String, service: String) {
        #expect(RecordDefaults.service(fromPath: path) == service)
    }
}
