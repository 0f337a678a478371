import LogqIndex
import LogqQuery

/// `retention:` in the configuration: how long each class of records is kept, and a disk cap.
///
/// A record's class is fixed when it is flushed: the first rule whose query matches it, else the default
/// class `c0`. A rule's class is named after its query (`r` and 10 hex digits of a hash of the query's
/// text), so reordering rules or changing a `keep` applies to data already stored, while a class whose
/// rule was removed or whose query changed is kept as long as the default. See docs/configuration.md.
public struct RetentionPolicy: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        /// The query as written in the configuration.
        public var match: String
        public var query: Query
        public var keepSeconds: Int64
        public var className: String

        public init(match: String, query: Query, keepSeconds: Int64) {
            self.match = match
            self.query = query
            self.keepSeconds = keepSeconds
            className = Self.className(for: match)
        }

        /// FNV-1a of the query text: stable across runs and machines (Swift's own hashing is seeded).
        static func className(for match: String) -> String {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in match.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            let hex = String(hash, radix: 16)
            return "r" + String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(10))
        }
    }

    public var defaultKeepSeconds: Int64 = 90 * 86_400
    public var rules: [Rule] = []
    /// Beyond this many bytes of segments, the oldest go first, whatever their class.
    public var maxDiskBytes: Int64?
    /// How often the policy is enforced (it also runs at start-up).
    public var checkIntervalSeconds: Int64 = 600

    public init() {}

    /// The class a record is stored in: the first matching rule's, else the default.
    public func className(for record: LogRecord) -> String {
        rules.first { $0.query.matches(record) }?.className ?? RetentionClassName.default
    }

    public func keepSeconds(forClass name: String) -> Int64 {
        rules.first { $0.className == name }?.keepSeconds ?? defaultKeepSeconds
    }

    /// The rule behind a class, or nil for the default class and for classes no rule names any more.
    public func rule(forClass name: String) -> Rule? { rules.first { $0.className == name } }

    public struct Expiry: Sendable, Equatable {
        public enum Reason: String, Sendable { case age, diskCap = "max_disk" }
        public var segment: SegmentSummary
        public var reason: Reason
    }

    /// The segments to delete at `now` (nanoseconds since the epoch): first every segment whose newest
    /// record is older than its class's keep, then, while the rest exceed `maxDiskBytes`, the segments
    /// with the oldest newest record.
    public func expiries(of segments: [SegmentSummary], now: Int64) -> [Expiry] {
        var expired: [Expiry] = []
        var remaining: [SegmentSummary] = []
        for segment in segments {
            let keep = keepSeconds(forClass: segment.retentionClass)
            if segment.maxTime < now - keep * 1_000_000_000 {
                expired.append(Expiry(segment: segment, reason: .age))
            } else {
                remaining.append(segment)
            }
        }
        if let maxDiskBytes {
            var total = remaining.reduce(Int64(0)) { $0 + Int64($1.byteCount) }
            for segment in remaining.sorted(by: { ($0.maxTime, $0.path) < ($1.maxTime, $1.path) }) {
                guard total > maxDiskBytes else { break }
                expired.append(Expiry(segment: segment, reason: .diskCap))
                total -= Int64(segment.byteCount)
            }
        }
        return expired
    }
}
