import LogqIndex
import LogqQuery

/// One rule's windows, one per key of its `by` fields.
final class RuleState {
    struct Outcome {
        var key: SignalKey
        var firing: Bool
        var onset: Int64
        var value: Double
        var episodeCount: Int
        var services: [String]
        var traceIDs: [String]
        var samples: [EvidenceLine]
        var statements: [String: Int]
        var query: String
    }

    private struct KeyState {
        /// The values of the rule's `by` fields.
        var values: [String]
        var buckets = WindowBuckets()
        var firstSeen: Int64
        var lastSeen: Int64
        /// When the condition started to hold (evaluation time), and its window's first record.
        var pendingSince: Int64?
        var onset: Int64?
        var firing = false
        var episodeCount = 0
        var services: [String: Int] = [:]
        var traceIDs: [String] = []
        var samples: [EvidenceLine] = []
        var statements: [String: Int] = [:]
    }

    let rule: AlertRule
    private let step: Int64
    /// Keyed by the `by` values, each after its length when there are several (see `key(of:)`): one String
    /// to hash per record, and none to build for one field (the `absent` rule sees every record).
    private var keys: [String: KeyState] = [:]
    private let isAbsentRule: Bool
    /// A `new_fingerprint` rule's lookback.
    let newFingerprintLookback: Int64?
    /// Keys beyond this are not tracked (a `by` on a field with unbounded values); counted, never silent.
    static let maxKeys = 10_000
    private(set) var untrackedKeys = 0

    init(rule: AlertRule, step: Int64) {
        self.rule = rule
        self.step = step
        if case .absent = rule.kind { isAbsentRule = true } else { isAbsentRule = false }
        if case .newFingerprint(let lookback) = rule.kind {
            newFingerprintLookback = lookback
        } else {
            newFingerprintLookback = nil
        }
    }

    /// A `by` field's value, "" when the record has none.
    private static func byValue(_ field: String, of record: LogRecord) -> String {
        FieldAccess.value(of: field, in: record).text ?? ""
    }

    private func key(of record: LogRecord) -> String {
        switch rule.by.count {
        case 0: return ""
        case 1: return Self.byValue(rule.by[0], of: record)
        default: return rule.by.map { Self.byValue($0, of: record) }.map { "\($0.utf8.count):\($0)" }.joined()
        }
    }

    /// Counts `record` if it matches the rule's query (`matches`) or a ratio's denominator (`inDenominator`),
    /// both checked by the caller: the engine checks each distinct query once per record for all the rules
    /// that share it.
    func add(_ record: LogRecord, newTemplate: Bool, matches: Bool, inDenominator: Bool) {
        if isAbsentRule {
            // Every record keeps its key alive; the count is what the window holds.
        } else if !matches && !inDenominator {
            return
        }
        var value: Double?
        switch rule.kind {
        case .quantile(let field, _, _):
            guard matches, let number = FieldAccess.number(of: field, in: record) else { return }
            value = number
        case .slowQuery(let minimum):
            guard matches, let seconds = FieldAccess.number(of: "query_time", in: record), seconds >= minimum else {
                return
            }
        case .newFingerprint:
            guard matches, newTemplate else { return }
        default:
            break
        }
        let key = key(of: record)
        let position: Dictionary<String, KeyState>.Index
        if let found = keys.index(forKey: key) {
            position = found
        } else {
            guard keys.count < Self.maxKeys else {
                untrackedKeys += 1
                return
            }
            let values = rule.by.count == 1 ? [key] : rule.by.map { Self.byValue($0, of: record) }
            keys[key] = KeyState(values: values, firstSeen: record.timestamp, lastSeen: record.timestamp)
            position = keys.index(forKey: key)!
        }
        let isAbsentRule = isAbsentRule
        let counted = matches || isAbsentRule
        let kind = rule.kind
        let bucket = record.timestamp / step
        // One lookup: every change to the key's state goes through this access.
        Self.modify(&keys.values[position]) { state in
            state.firstSeen = min(state.firstSeen, record.timestamp)
            state.lastSeen = max(state.lastSeen, record.timestamp)
            state.buckets.update(bucket: bucket) { stats in
                if counted { stats.count += 1 }
                if inDenominator { stats.denominator += 1 }
                if let value { stats.bins[ValueBins.bin(value), default: 0] += 1 }
            }
            // An absent rule counts every record of its keys; what they say is no evidence of silence.
            guard matches, !isAbsentRule else { return }
            state.services[record.service, default: 0] += 1
            if let trace = Self.traceID(of: record) {
                state.traceIDs.append(trace)
                if state.traceIDs.count > 64 { state.traceIDs.removeFirst(16) }
            }
            // Messages are kept whole (a reference, no copy) and cut to their first line when shown.
            if state.samples.count < 3 || !state.firing {
                state.samples.append(
                    EvidenceLine(timestamp: record.timestamp, service: record.service, text: record.message))
                if state.samples.count > 3 { state.samples.removeFirst() }
            }
            if case .slowQuery = kind, let statement = FieldAccess.value(of: "sql_fingerprint", in: record).text {
                state.statements[statement, default: 0] += 1
            }
        }
    }

    private static func modify(_ state: inout KeyState, _ body: (inout KeyState) -> Void) { body(&state) }

    /// Whether no key holds anything at or after `time` minus the longest reach, so evaluations may skip.
    func isQuiet(before time: Int64) -> Bool {
        keys.values.allSatisfy { !$0.firing && $0.pendingSince == nil && $0.lastSeen < time - rule.window }
    }

    func evaluate(at time: Int64) -> [Outcome] {
        let last = time / step - 1
        let first = (time - rule.window) / step
        var outcomes: [Outcome] = []
        for (key, var state) in keys {
            let window = state.buckets.total(from: first, through: last)
            let (holds, value) = condition(window, state: state, time: time)
            if holds {
                if state.pendingSince == nil {
                    // The condition began to hold within the last step: that is when the signal starts.
                    state.pendingSince = time
                    state.onset = time - step
                    state.episodeCount = window.count
                } else {
                    state.episodeCount += state.buckets.buckets[last]?.count ?? 0
                }
                if time - state.pendingSince! >= rule.holdFor { state.firing = true }
            } else {
                state.pendingSince = nil
                state.onset = nil
                let wasFiring = state.firing
                state.firing = false
                if wasFiring {
                    outcomes.append(outcome(state.values, state, firing: false, value: value))
                }
            }
            if state.firing { outcomes.append(outcome(state.values, state, firing: true, value: value)) }
            state.buckets.drop(before: (time - rule.window) / step - 1)
            let keep: Bool
            if case .absent = rule.kind { keep = true } else { keep = !state.buckets.isEmpty || state.firing }
            keys[key] = keep ? state : nil
        }
        return outcomes
    }

    private func condition(_ window: BucketStats, state: KeyState, time: Int64) -> (Bool, Double) {
        switch rule.kind {
        case .threshold, .slowQuery:
            return (Double(window.count) > rule.above, Double(window.count))
        case .ratio(_, _, let minCount):
            guard window.denominator >= max(1, minCount) else { return (false, 0) }
            let ratio = Double(window.count) / Double(window.denominator)
            return (ratio > rule.above, ratio)
        case .quantile(_, let quantile, let minCount):
            guard let (value, count) = ValueBins.quantile(quantile, of: window.bins), count >= max(1, minCount) else {
                return (false, 0)
            }
            return (value > rule.above, value)
        case .absent:
            return (window.count == 0 && state.firstSeen < time - rule.window, 0)
        case .newFingerprint:
            return (window.count > 0, Double(window.count))
        }
    }

    private func outcome(_ values: [String], _ state: KeyState, firing: Bool, value: Double) -> Outcome {
        let labels = zip(rule.by, values).map { "\($0)=\($1)" }
        var query = rule.queryText == "*" ? "" : rule.queryText
        for (field, value) in zip(rule.by, values) where !value.isEmpty {
            let term = "\(field):\(Self.quoted(value))"
            query = query.isEmpty ? term : "(\(query)) \(term)"
        }
        if case .slowQuery(let minimum) = rule.kind {
            query = (query.isEmpty ? "" : query + " ") + "query_time:>=\(Self.number(minimum))"
        }
        if query.isEmpty { query = "*" }
        return Outcome(
            key: SignalKey(signal: rule.signal, labels: labels), firing: firing,
            onset: state.onset ?? state.firstSeen, value: value, episodeCount: state.episodeCount,
            services: state.services.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.map(\.key)
                .filter { !$0.isEmpty },
            traceIDs: Self.distinctNewest(state.traceIDs, 50),
            samples: state.samples.map {
                EvidenceLine(timestamp: $0.timestamp, service: $0.service, text: Self.firstLine(of: $0.text))
            },
            statements: state.statements, query: query)
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : value.description
    }

    private static func quoted(_ value: String) -> String {
        let plain = value.allSatisfy { $0.isLetter || $0.isNumber || "-_.@/".contains($0) }
        return plain ? value : "\"" + value.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func traceID(of record: LogRecord) -> String? {
        for field in record.fields {
            switch field.name {
            case "traceId", "trace_id", "trace.id", "traceID":
                if case .string(let text) = field.value, !text.isEmpty { return text }
            default: continue
            }
        }
        return nil
    }

    /// The last `limit` distinct values, newest last.
    static func distinctNewest(_ values: [String], _ limit: Int) -> [String] {
        var seen: Set<String> = []
        var kept: [String] = []
        for value in values.reversed() where seen.insert(value).inserted {
            kept.append(value)
            if kept.count == limit { break }
        }
        return kept.reversed()
    }

    static func firstLine(of message: String) -> String {
        let bytes = message.utf8
        let end = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
        var line = Substring(message[..<end])
        if line.hasSuffix("\r") { line = line.dropLast() }
        return line.utf8.count > 300 ? String(line.prefix(300)) + "…" : String(line)
    }
}
