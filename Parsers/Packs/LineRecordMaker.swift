import LogqIndex
import Synchronization

/// Turns the lines of one stream (a TCP connection, an HTTP body) into records: either the default
/// decoding (a JSON object's keys to columns, any other line kept as text), or a pattern pack.
/// One per stream; it owns its pack parser's match data.
public struct LineRecordMaker {
    private let decoder: LineDecoder
    /// The pack's parser, when there is one; mutated in place through the optional.
    private var parser: PackParser?
    private let defaults: RecordDefaults

    public init(decoder: LineDecoder) {
        self.decoder = decoder
        parser = nil
        defaults = RecordDefaults()
    }

    public init(pack: CompiledPack, zone: TimeZoneRule = .utc, defaults: RecordDefaults = RecordDefaults()) {
        decoder = LineDecoder()
        parser = PackParser(pack, zone: zone)
        self.defaults = defaults
    }

    /// `originalLength` is the line's size when the framer cut it.
    public mutating func record(
        _ line: UnsafeRawBufferPointer, receivedAt: Int64, originalLength: Int? = nil
    ) -> LogRecord {
        guard var record = parser?.record(from: line, receivedAt: receivedAt, defaults: defaults) else {
            return decoder.decode(line, receivedAt: receivedAt, originalLength: originalLength)
        }
        if let originalLength, originalLength > line.count {
            record.fields.append(Field("_truncated", .int(Int64(originalLength))))
        }
        return record
    }

    /// Lines parsed, unmatched and over the match limits so far (zero for the default decoding).
    public var statistics: PackParser.Statistics { parser?.statistics ?? PackParser.Statistics() }
}

/// Parse outcomes summed over every stream, for `/api/v1/stats` (and the metrics of issue 9).
public final class ParseCounters: Sendable {
    private let totals = Mutex(PackParser.Statistics())

    public init() {}

    public func add(_ delta: PackParser.Statistics) {
        guard delta != PackParser.Statistics() else { return }
        totals.withLock { totals in
            totals.parsed += delta.parsed
            totals.unmatched += delta.unmatched
            totals.limitExceeded += delta.limitExceeded
        }
    }

    public var snapshot: PackParser.Statistics { totals.withLock { $0 } }
}

extension PackParser.Statistics {
    /// What happened between two readings of a stream's statistics.
    public func since(_ earlier: PackParser.Statistics) -> PackParser.Statistics {
        var delta = PackParser.Statistics()
        delta.parsed = parsed - earlier.parsed
        delta.unmatched = unmatched - earlier.unmatched
        delta.limitExceeded = limitExceeded - earlier.limitExceeded
        return delta
    }
}
