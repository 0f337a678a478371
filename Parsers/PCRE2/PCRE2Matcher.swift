import CPCRE2

/// Per-worker matching state for one `PCRE2Regex`: match data and a match context with limits.
///
/// The limits keep a catastrophic pattern or line from pinning a core: past them a match reports
/// `.limitExceeded` instead of running on. PCRE2 has no clock of its own, so the per-line time budget is
/// expressed as these limits (see `MatchLimits`).
public final class PCRE2Matcher {
    public let regex: PCRE2Regex
    private let matchData: OpaquePointer
    private let context: OpaquePointer
    private let jitStack: OpaquePointer?
    // Stable for the life of the match data; read after every match without another call into PCRE2.
    private let ovector: UnsafeMutablePointer<Int>
    private let ovectorPairs: Int

    public enum Outcome: Equatable {
        case match(Range<Int>)
        case noMatch
        /// The match, depth or heap limit was hit; the caller keeps the line and says why.
        case limitExceeded
        case failed(code: Int32)
    }

    public convenience init(regex: PCRE2Regex, matchLimit: UInt32 = MatchLimits.standard.match) {
        self.init(regex: regex, limits: MatchLimits(match: matchLimit))
    }

    public init(regex: PCRE2Regex, limits: MatchLimits) {
        self.regex = regex
        matchData = pcre2_match_data_create_from_pattern_8(regex.code, nil)
        context = pcre2_match_context_create_8(nil)
        pcre2_set_match_limit_8(context, limits.match)
        pcre2_set_depth_limit_8(context, limits.depth)
        pcre2_set_heap_limit_8(context, limits.heapKiB)
        // JIT's default 32 KiB machine stack runs out long before the match limit on backtracking-heavy
        // patterns (Logstash's BRO_FILES); give it room up to the configured bound.
        jitStack = regex.usesJIT ? pcre2_jit_stack_create_8(32 * 1024, Int(limits.jitStackKiB) * 1024, nil) : nil
        if let jitStack { pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(jitStack)) }
        ovector = UnsafeMutableRawPointer(pcre2_get_ovector_pointer_8(matchData)!)
            .assumingMemoryBound(to: Int.self)
        ovectorPairs = Int(pcre2_get_ovector_count_8(matchData))
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_match_context_free_8(context)
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
    }

    /// Matches against raw bytes; invalid UTF-8 in the subject is allowed (PCRE2_MATCH_INVALID_UTF).
    @inline(__always)
    public func firstMatch(in subject: UnsafeRawBufferPointer, from start: Int = 0) -> Outcome {
        let result = run(subject, from: start)
        if result >= 0 { return .match(ovector[0]..<ovector[1]) }
        switch result {
        case PCRE2_ERROR_NOMATCH: return .noMatch
        case PCRE2_ERROR_MATCHLIMIT, PCRE2_ERROR_DEPTHLIMIT, PCRE2_ERROR_HEAPLIMIT, PCRE2_ERROR_JIT_STACKLIMIT:
            return .limitExceeded
        default: return .failed(code: result)
        }
    }

    /// Whether the pattern matches, for callers that need neither the range nor the reason of a miss.
    @inline(__always)
    public func matches(_ subject: UnsafeRawBufferPointer) -> Bool { run(subject, from: 0) >= 0 }

    @inline(__always)
    private func run(_ subject: UnsafeRawBufferPointer, from start: Int) -> Int32 {
        let base = subject.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
        return regex.usesJIT
            ? pcre2_jit_match_8(regex.code, base, subject.count, start, 0, matchData, context)
            : pcre2_match_8(regex.code, base, subject.count, start, 0, matchData, context)
    }

    public func firstMatch(in text: String) -> Outcome {
        var text = text
        return text.withUTF8 { firstMatch(in: UnsafeRawBufferPointer($0)) }
    }

    /// The byte range of group `number` in the last successful match, nil when it did not take part.
    @inline(__always)
    public func groupRange(_ number: Int) -> Range<Int>? {
        guard number < ovectorPairs else { return nil }
        let start = ovector[2 * number]
        // PCRE2_UNSET is ~0, which reads as -1 through an Int.
        guard start >= 0 else { return nil }
        return start..<ovector[2 * number + 1]
    }
}

/// Bounds on one match attempt. PCRE2 counts work, not time: with JIT, the standard match limit of ten
/// million steps (PCRE2's own default, which Logstash's BRO_FILES needs) is reached in about 35 ms on
/// this machine class, so a catastrophic pattern on a long line costs at most that before the line is
/// kept unparsed. `GrokTests.catastrophicPatternReturnsWithinTheBudget` prints the figure.
public struct MatchLimits: Sendable, Equatable {
    public var match: UInt32
    public var depth: UInt32
    public var heapKiB: UInt32
    public var jitStackKiB: UInt32

    public init(
        match: UInt32 = 10_000_000, depth: UInt32 = 10_000, heapKiB: UInt32 = 20_000, jitStackKiB: UInt32 = 2048
    ) {
        self.match = match
        self.depth = depth
        self.heapKiB = heapKiB
        self.jitStackKiB = jitStackKiB
    }

    public static let standard = MatchLimits()
}
