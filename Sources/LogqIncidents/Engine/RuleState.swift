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
    private var keys: [[String]: KeyState] = [:]
    /// Keys beyond this are not tracked (a `by` on a field with unbounded values); counted, never silent.
    static let maxKeys = 10_000
    private(set) var untrackedKeys = 0

    init(rule: AlertRule, step: Int64) {
        self.rule = rule
        self.step = step
    }

    func add(_ record: LogRecord, newTemplate: Bool) {
        let matches = rule.query.matches(record)
        var inDenominator = false
        if case .ratio(let of, _, _) = rule.kind { inDenominator = of.matches(record) }
        if case .absent = rule.kind {
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
        let values = rule.by.map { FieldAccess.value(of: $0, in: record).text ?? "" }
        if keys[values] == nil {
            guard keys.count < Self.maxKeys else {
                untrackedKeys += 1
                return
            }
            keys[values] = KeyState(firstSeen: record.timestamp, lastSeen: record.timestamp)
        }
        let bucket = record.timestamp / step
        keys[values]!.firstSeen = min(keys[values]!.firstSeen, record.timestamp)
        keys[values]!.lastSeen = max(keys[values]!.lastSeen, record.timestamp)
        let counted = matches || { if case .absent = rule.kind { return true } else { return false } }()
        keys[values]!.buckets.update(bucket: bucket) { stats in
            if counted { stats.count += 1 }
            if inDenominator { stats.denominator += 1 }
            if let value { stats.bins[ValueBins.bin(value), default: 0] += 1 }
        }
        guard counted else { return }
        keys[values]!.services[record.service, default: 0] += 1
        if let trace = Self.traceID(of: record), !keys[values]!.traceIDs.contains(trace) {
            keys[values]!.traceIDs.append(trace)
            if keys[values]!.traceIDs.count > 50 { keys[values]!.traceIDs.removeFirst() }
        }
        let line = EvidenceLine(
            timestamp: record.timestamp, service: record.service, text: Self.firstLine(of: record.message))
        if keys[values]!.samples.count < 3 || !keys[values]!.firing {
            keys[values]!.samples.append(line)
            if keys[values]!.samples.count > 3 { keys[values]!.samples.removeFirst() }
        }
        if case .slowQuery = rule.kind, let statement = FieldAccess.value(of: "sql_fingerprint", in: record).text {
            keys[values]!.statements[statement, default: 0] += 1
        }
    }

    /// Whether no key holds anything at or after `time` minus the longest reach, so evaluations may skip.
    func isQuiet(before time: Int64) -> Bool {
        keys.values.allSatisfy { !$0.firing && $0.pendingSince == nil && $0.lastSeen < time - rule.window }
    }

    func evaluate(at time: Int64) -> [Outcome] {
        let last = time / step - 1
        let first = (time - rule.window) / step
        var outcomes: [Outcome] = []
        for (values, var state) in keys {
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
                    outcomes.append(outcome(values, state, firing: false, value: value))
                }
            }
            if state.firing { outcomes.append(outcome(values, state, firing: true, value: value)) }
            state.buckets.drop(before: (time - rule.window) / step - 1)
            let keep: Bool
            if case .absent = rule.kind { keep = true } else { keep = !state.buckets.isEmpty || state.firing }
            keys[values] = keep ? state : nil
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
            traceIDs: state.traceIDs, samples: state.samples, statements: state.statements, query: query)
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : value.description
    }

    private static func quoted(_ value: String) -> String {
        let plain = value.allSatisfy { $0.isLetter || $0.isNumber || "-_.@/".contains($0) }
        return plain ? value : "\"" + value.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func traceID(of record: LogRecord) -> String? {
        for name in ["traceId", "trace_id", "trace.id", "traceID"] {
            if let text = FieldAccess.value(of: name, in: record).text, !text.isEmpty { return text }
        }
        return nil
    }

    static func firstLine(of message: String) -> String {
        let line = message.prefix { $0 != "\n" }
        return line.count > 300 ? String(line.prefix(300)) + "…" : String(line)
    }
}
