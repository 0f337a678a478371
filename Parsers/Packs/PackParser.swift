import LogqIndex

/// Parses lines with one compiled pack. One per worker, held in a local variable: it owns the PCRE2
/// match data and a reusable `ParsedLine`, so the hot path allocates nothing. It is a struct so that
/// mutating `parsed` costs no dynamic exclusivity check (a class's stored property would, per access).
public struct PackParser {
    public let compiled: CompiledPack
    public var zone: TimeZoneRule
    public private(set) var parsed = ParsedLine()
    public private(set) var statistics = Statistics()
    private let matchers: [GrokMatcher]
    private let keyValues: Bool
    // Copied out of `compiled` once: reading them through the pack struct would retain its arrays per line.
    private let roles: [[(role: CompiledPack.Role, field: Int)]]
    private let levelFromStatusField: Int
    private let defaultLevel: LogLevel?
    private let levelAliases: [String: LogLevel]

    /// Counts since this parser was made; the server sums them across workers.
    public struct Statistics: Sendable, Equatable {
        public var parsed = 0
        public var unmatched = 0
        public var limitExceeded = 0

        public init() {}
    }

    public init(_ compiled: CompiledPack, zone: TimeZoneRule = .utc, limits: MatchLimits = .standard) {
        self.compiled = compiled
        self.zone = zone
        matchers = compiled.patterns.map { GrokMatcher(pattern: $0, limits: limits) }
        keyValues = compiled.pack.enrichments.contains(.keyValuePairs)
        roles = compiled.roles
        levelFromStatusField = compiled.levelFromStatusField ?? -1
        defaultLevel = compiled.pack.defaultLevel
        levelAliases = compiled.levelAliases
    }

    /// Matches one line (or joined multi-line event) and fills `parsed` with ranges and typed values.
    /// `reference` (the receive time) gives year-less timestamps their year.
    @discardableResult
    public mutating func parse(_ line: UnsafeRawBufferPointer, reference: Int64 = 0) -> ParsedLine.Outcome {
        parsed.reset()
        var sawLimit = false
        for (expression, matcher) in matchers.enumerated() {
            switch matcher.match(line) {
            case .matched:
                collect(line, matcher: matcher, expression: expression, reference: reference)
                if keyValues, let message = parsed.message { KeyValueScanner.scan(line, in: message, into: &parsed) }
                parsed.outcome = .parsed(expression: expression)
                statistics.parsed += 1
                return parsed.outcome
            case .limitExceeded:
                sawLimit = true
            case .noMatch, .failed:
                continue
            }
        }
        parsed.outcome = sawLimit ? .limitExceeded : .unmatched
        if sawLimit { statistics.limitExceeded += 1 } else { statistics.unmatched += 1 }
        return parsed.outcome
    }

    @inline(__always)
    private mutating func collect(
        _ line: UnsafeRawBufferPointer, matcher: GrokMatcher, expression: Int, reference: Int64
    ) {
        let roles = self.roles[expression]
        var timestampPriority = Int.max
        var statusLevel: LogLevel?
        for index in roles.indices {
            guard let range = matcher.range(ofCapture: index) else { continue }
            let (role, field) = roles[index]
            let bytes = UnsafeRawBufferPointer(rebasing: line[range])
            switch role {
            case .timestamp(let priority, let format):
                guard priority < timestampPriority else { continue }
                if let value = TimestampParser.parse(bytes, format: format, zone: zone, reference: reference) {
                    parsed.timestamp = value
                    parsed.unreadableTimestamp = nil
                    timestampPriority = priority
                } else if parsed.timestamp == nil {
                    parsed.unreadableTimestamp = (field, range)
                }
            case .level:
                parsed.level = level(bytes)
            case .message:
                parsed.message = range
            case .service:
                parsed.service = range
            case .host:
                parsed.host = range
            case .field(let type):
                let value: ParsedLine.Value
                switch type {
                case .string: value = .text
                case .int: value = .int(NumberText.leadingInteger(bytes))
                case .float: value = .float(NumberText.leadingDouble(bytes))
                }
                if field == levelFromStatusField {
                    let status = NumberText.leadingInteger(bytes)
                    statusLevel = status >= 500 ? .error : status >= 400 ? .warn : .info
                }
                parsed.fields.append(.init(field: field, nameRange: 0..<0, range: range, value: value))
            }
        }
        if parsed.level == nil { parsed.level = statusLevel ?? defaultLevel }
    }

    @inline(__always)
    private func level(_ bytes: UnsafeRawBufferPointer) -> LogLevel? {
        if !levelAliases.isEmpty, let alias = levelAliases[String(decoding: bytes, as: UTF8.self).lowercased()] {
            return alias
        }
        return LogLevel(name: bytes)
    }
}
