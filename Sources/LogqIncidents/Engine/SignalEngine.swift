import Foundation
import LogqIndex
import LogqQuery

/// Evaluates every rule on the ingest stream, on event time: records go into buckets of their own
/// timestamp, and a window is evaluated only once the watermark has passed its end, so that files replayed
/// in any interleaving give the same signals as live arrival.
///
/// Not thread-safe: its owner (`IncidentDesk`) serializes calls.
public final class SignalEngine {
    public let policy: IncidentPolicy
    private var rules: [RuleState]
    private var watermark = Watermark()
    private var nextEvaluation: Int64?
    /// Event time of the earliest record seen: a template is "new" only against some history.
    private var historyStart: Int64?
    /// Fingerprint → event time it was last seen (for `new_fingerprint`).
    private var fingerprintsSeen: [String: Int64] = [:]
    private var signals: [SignalKey: SignalState] = [:]
    /// Records older than the last evaluated window when they arrived; they still count in later windows.
    public private(set) var lateRecords = 0
    /// How long a `new_fingerprint` rule waits for history before it calls anything new.
    public var learningPeriod: Int64 = 3600 * nanosecondsPerSecond

    /// The rules' distinct queries (many rules share one: a signal's severities, a ratio's denominator), each
    /// checked once per record; per rule, the index of its query and of its ratio's denominator.
    private let distinctQueries: [RecordMatcher]
    private let queryIndex: [Int]
    private let denominatorIndex: [Int?]
    /// Per distinct query, for the record being ingested: 0 unknown, 1 matches, 2 does not.
    private var answers: [UInt8]

    public init(policy: IncidentPolicy) {
        self.policy = policy
        rules = policy.rules.map { RuleState(rule: $0, step: policy.evaluationStep) }
        var distinct: [Query] = []
        func index(of query: Query) -> Int {
            if let found = distinct.firstIndex(of: query) { return found }
            distinct.append(query)
            return distinct.count - 1
        }
        queryIndex = policy.rules.map { index(of: $0.query) }
        denominatorIndex = policy.rules.map { rule in
            if case .ratio(let of, _, _) = rule.kind { return index(of: of) }
            return nil
        }
        distinctQueries = distinct.map(RecordMatcher.init)
        answers = [UInt8](repeating: 0, count: distinct.count)
    }

    private func answer(_ index: Int, for record: LogRecord, in answers: inout [UInt8]) -> Bool {
        if answers[index] == 0 { answers[index] = distinctQueries[index].matches(record) ? 1 : 2 }
        return answers[index] == 1
    }

    /// Keys of rules' `by` fields beyond `RuleState.maxKeys`, whose records no rule tracks.
    public var untrackedKeys: Int { rules.reduce(0) { $0 + $1.untrackedKeys } }

    public var currentWatermark: Int64? { nextEvaluation.map { $0 - policy.evaluationStep } }

    /// Takes records as they were committed; `arrival` is wall-clock seconds (the watermark's idle rule).
    public func ingest(_ records: [LogRecord], arrival: Double) {
        // Records of one source come in runs: the watermark hears of each run once, not of every record.
        var run: (source: String, newest: Int64)?
        // The two tables every record touches are moved into locals for the batch: each use of a class's
        // stored property is checked for exclusive access at run time (a sixth of this function's samples).
        var answers: [UInt8] = []
        var seen: [String: Int64] = [:]
        swap(&answers, &self.answers)
        swap(&seen, &fingerprintsSeen)
        // By index: `for record in records` copied each record (a retain and release of its every String).
        for index in records.indices {
            ingest(records[index], run: &run, arrival: arrival, answers: &answers, fingerprintsSeen: &seen)
        }
        swap(&answers, &self.answers)
        swap(&seen, &fingerprintsSeen)
        if let current = run { watermark.saw(source: current.source, time: current.newest, arrival: arrival) }
    }

    private func ingest(
        _ record: LogRecord, run: inout (source: String, newest: Int64)?, arrival: Double, answers: inout [UInt8],
        fingerprintsSeen: inout [String: Int64]
    ) {
        if let current = run, current.source == record.source {
            run!.newest = max(current.newest, record.timestamp)
        } else {
            if let current = run { watermark.saw(source: current.source, time: current.newest, arrival: arrival) }
            run = (record.source, record.timestamp)
        }
        historyStart = min(historyStart ?? record.timestamp, record.timestamp)
        if nextEvaluation == nil {
            nextEvaluation = (record.timestamp / policy.evaluationStep + 1) * policy.evaluationStep
        }
        if let evaluated = nextEvaluation, record.timestamp < evaluated - policy.evaluationStep {
            lateRecords += 1
        }
        var isNew = false
        // How long ago the template was last seen, before this record; nil when never.
        var unseenFor: Int64?
        if let fingerprint = FieldAccess.fieldValue(of: "fingerprint", in: record).text {
            if let seen = fingerprintsSeen.index(forKey: fingerprint) {
                let last = fingerprintsSeen.values[seen]
                unseenFor = record.timestamp - last
                fingerprintsSeen.values[seen] = max(last, record.timestamp)
            } else {
                if let historyStart, record.timestamp - historyStart >= learningPeriod { isNew = true }
                fingerprintsSeen[fingerprint] = record.timestamp
            }
        }
        for index in answers.indices { answers[index] = 0 }
        for (position, rule) in rules.enumerated() {
            var newTemplate = isNew
            // Seen before, but long enough ago to count as new again.
            if let lookback = rule.newFingerprintLookback, let unseenFor, unseenFor > lookback {
                newTemplate = true
            }
            let inDenominator = denominatorIndex[position].map { answer($0, for: record, in: &answers) } ?? false
            rule.add(
                record, newTemplate: newTemplate, matches: answer(queryIndex[position], for: record, in: &answers),
                inDenominator: inDenominator)
        }
    }

    /// Evaluates every window the watermark has passed; returns the signals that started, changed or ended.
    /// `backlog`: committed records are still on their way to `ingest` (see `Watermark.value`).
    public func advance(now: Double, backlog: Bool = false) -> [SignalState] {
        guard let limit = watermark.value(now: now, idleAfter: policy.sourceIdleSeconds, backlog: backlog) else {
            return []
        }
        var changed: [SignalState] = []
        let horizon = (rules.map { $0.rule.window + $0.rule.holdFor }.max() ?? 0) + policy.evaluationStep
        while let time = nextEvaluation, time <= limit {
            changed += evaluate(at: time)
            var next = time + policy.evaluationStep
            // After a long silence, nothing is left in any window: skip to the present.
            if limit - next > 2 * horizon, rules.allSatisfy({ $0.isQuiet(before: next) }) {
                next = (limit / policy.evaluationStep) * policy.evaluationStep
            }
            nextEvaluation = next
        }
        return changed
    }

    /// Rule evaluations so far: one per rule per evaluated window (the metrics' rule evaluations).
    public private(set) var evaluations = 0

    private func evaluate(at time: Int64) -> [SignalState] {
        var rungs: [SignalKey: [(AlertRule, RuleState.Outcome)]] = [:]
        evaluations += rules.count
        for rule in rules {
            for outcome in rule.evaluate(at: time) {
                rungs[outcome.key, default: []].append((rule.rule, outcome))
            }
        }
        var updates: [SignalState] = []
        for (key, outcomes) in rungs.sorted(by: { $0.key < $1.key }) {
            let firing = outcomes.filter { $0.1.firing }
            let previous = signals[key]
            if firing.isEmpty {
                guard var ended = previous, ended.phase == .firing else { continue }
                ended.phase = .resolved
                signals[key] = ended
                updates.append(ended)
                continue
            }
            let top = firing.max { $0.0.severity < $1.0.severity }!
            let outcome = top.1
            var state =
                previous?.phase == .firing
                ? previous!
                : SignalState(
                    key: key, phase: .firing, severity: top.0.severity, category: top.0.category, rules: [],
                    summary: "", onset: outcome.onset, firedAt: time, lastActive: time, count: 0, value: 0,
                    threshold: 0, services: [], traceIDs: [], samples: [], statements: [:], query: "", labels: [:])
            let before = state
            state.severity = top.0.severity
            state.category = top.0.category
            state.rules = firing.map(\.0.name).sorted()
            state.onset = min(state.onset, outcome.onset)
            state.lastActive = time
            state.count = outcome.episodeCount
            state.value = outcome.value
            state.threshold = top.0.above
            state.services = outcome.services
            state.traceIDs = outcome.traceIDs
            state.samples = outcome.samples
            state.statements = outcome.statements
            state.query = outcome.query
            state.labels = top.0.labels
            state.summary = Self.summary(top.0, outcome)
            signals[key] = state
            // Every evaluation refreshes counts; only report what a person would want to know of.
            if before.phase != .firing || before.severity != state.severity || before.rules != state.rules
                || previous == nil || Self.grewNotably(before.count, state.count)
            {
                updates.append(state)
            }
        }
        signals = signals.filter { $0.value.phase == .firing || time - $0.value.lastActive < policy.correlationWindow }
        return updates
    }

    private static func grewNotably(_ before: Int, _ after: Int) -> Bool { after >= max(before * 2, before + 10) }

    private static func summary(_ rule: AlertRule, _ outcome: RuleState.Outcome) -> String {
        let subject = outcome.key.labels.isEmpty ? rule.queryText : outcome.key.labels.joined(separator: " ")
        func figure(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.3g", value)
        }
        switch rule.kind {
        case .threshold:
            return
                "\(figure(outcome.value)) records of \(subject) in \(DurationText.format(rule.window)) (above \(figure(rule.above)))"
        case .ratio(_, let ofText, _):
            return
                "\(String(format: "%.1f", outcome.value * 100))% of \(ofText) match \(rule.queryText) (above \(String(format: "%.1f", rule.above * 100))%)"
        case .quantile(let field, let quantile, _):
            return
                "p\(Int((quantile * 100).rounded())) of \(field) is \(figure(outcome.value)) for \(subject) (above \(figure(rule.above)))"
        case .absent:
            return "no records from \(subject) for \(DurationText.format(rule.window))"
        case .newFingerprint:
            return "a new error template from \(subject)"
        case .slowQuery(let minimum):
            return
                "\(figure(outcome.value)) statements on \(subject) took \(figure(minimum)) s or more in \(DurationText.format(rule.window))"
        }
    }
}

extension TableValue {
    var text: String? {
        switch self {
        case .string(let text): return text
        case .number(let number): return number.description
        case .null: return nil
        }
    }
}

enum DurationText {
    static func format(_ nanoseconds: Int64) -> String {
        let seconds = nanoseconds / nanosecondsPerSecond
        if seconds % 86400 == 0 { return "\(seconds / 86400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
