#if canImport(Glibc)
import Glibc
#endif

/// Picks the pack that parses most of a sample, as `logq patterns detect` and `logq ingest` do when no
/// parser is named.
public enum FormatDetector {
    public struct Score: Sendable, Equatable {
        public let pack: String
        /// Events after the pack's multi-line joining, and how many of them parsed.
        public let events: Int
        public let parsedEvents: Int
        /// Lines that ended up in a parsed event, out of the sample's lines.
        public let coveredLines: Int
        public let lines: Int
        /// Average fields per parsed event: the tie-breaker between packs that parse the same lines.
        public let fieldsPerEvent: Double

        public var coverage: Double { lines == 0 ? 0 : Double(coveredLines) / Double(lines) }
    }

    /// Every pack's score on the sample lines (without newlines), best first.
    public static func rank(_ lines: [String], packs: [CompiledPack], zone: TimeZoneRule = .utc) -> [Score] {
        let scores = packs.map { score(lines, pack: $0, zone: zone) }
        return scores.sorted { left, right in
            if left.coveredLines != right.coveredLines { return left.coveredLines > right.coveredLines }
            return left.fieldsPerEvent > right.fieldsPerEvent
        }
    }

    static func score(_ lines: [String], pack: CompiledPack, zone: TimeZoneRule) -> Score {
        var parser = PackParser(pack, zone: zone)
        var events = 0
        var parsedEvents = 0
        var covered = 0
        var fields = 0
        let reference = currentNanoseconds()
        let judge = { (bytes: UnsafeRawBufferPointer, lineCount: Int) in
            events += 1
            let record = parser.record(from: bytes, receivedAt: reference)
            guard !record.fields.contains(where: { $0.name == "_parse_error" }) else { return }
            parsedEvents += 1
            covered += lineCount
            fields += record.fields.count + (record.level == nil ? 0 : 1)
        }
        if let settings = pack.pack.multiline, var joiner = try? MultilineJoiner(settings: settings) {
            for line in lines {
                var line = line
                line.withUTF8 { joiner.append(UnsafeRawBufferPointer($0)) { judge($0.bytes, $0.lineCount) } }
            }
            joiner.flush { judge($0.bytes, $0.lineCount) }
        } else {
            for line in lines {
                var line = line
                line.withUTF8 { judge(UnsafeRawBufferPointer($0), 1) }
            }
        }
        return Score(
            pack: pack.pack.name, events: events, parsedEvents: parsedEvents, coveredLines: covered,
            lines: lines.count, fieldsPerEvent: parsedEvents == 0 ? 0 : Double(fields) / Double(parsedEvents))
    }

    static func currentNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
