import Foundation
import LogqCorpus
import Testing

@Suite struct CorpusGeneratorTests {
    @Test func sameSeedSameCorpus() {
        var first = CorpusGenerator(seed: 1)
        var second = CorpusGenerator(seed: 1)
        var other = CorpusGenerator(seed: 2)
        let a = (0..<500).map { _ in first.next().jsonLine() }
        #expect(a == (0..<500).map { _ in second.next().jsonLine() })
        #expect(a != (0..<500).map { _ in other.next().jsonLine() })
    }

    @Test func countsAgreeWithAnIndependentScan() throws {
        var generator = CorpusGenerator(seed: 42)
        var counts = CorpusCounts()
        var events: [CorpusEvent] = []
        for _ in 0..<20_000 {
            let event = generator.next()
            counts.add(event)
            events.append(event)
        }
        #expect(counts.total == 20_000)
        #expect(counts.byService.values.reduce(0, +) == 20_000)
        // Marker words: counted by construction, checked here by a whole-word regex over the messages.
        for word in CorpusGenerator.markerWords {
            let pattern = try NSRegularExpression(pattern: "(?i)(?<![A-Za-z0-9_])\(word)(?![A-Za-z0-9_])")
            let scanned = events.filter { event in
                pattern.firstMatch(in: event.message, range: NSRange(event.message.startIndex..., in: event.message))
                    != nil
            }.count
            #expect(counts.words[word] == scanned, "\(word)")
            #expect(scanned > 0, "\(word) never generated")
        }
        // The platform's mix is there: every kind, stack traces, slow queries.
        #expect(Set(events.map(\.kind)) == Set(CorpusEvent.Kind.allCases))
        #expect(events.contains { $0.message.contains("\n\tat com.") })
        #expect(events.contains { $0.message.contains("# Query_time: ") })
        #expect(counts.count(service: "order", level: "error") > 0)
        #expect(counts.byStatus["504"] ?? 0 > 0)
    }

    @Test func jsonLinesAreSingleLineJSON() throws {
        var generator = CorpusGenerator(seed: 3)
        for _ in 0..<2000 {
            let line = generator.next().jsonLine()
            #expect(!line.contains("\n"))
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["message"] is String)
        }
    }

    @Test func nativeTextKeepsStackTracesAsContinuationLines() {
        var generator = CorpusGenerator(seed: 4)
        let traces = (0..<5000).map { _ in generator.next() }.filter {
            $0.kind == .springBoot && $0.message.contains("\n")
        }
        #expect(!traces.isEmpty)
        for event in traces.prefix(20) {
            let lines = event.nativeText().split(separator: "\n")
            #expect(lines[0].hasPrefix("2026-11-23 "))
            #expect(
                lines.dropFirst().allSatisfy {
                    $0.hasPrefix("\tat ") || $0.contains("Exception") || $0.hasPrefix("Caused by")
                })
        }
    }
}
