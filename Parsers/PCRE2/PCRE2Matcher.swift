import CPCRE2

/// Per-worker matching state for one `PCRE2Regex`: match data and a match context with limits.
///
/// The limits keep a catastrophic pattern or line from pinning a core: past them a match reports
/// `.limitExceeded` instead of running on.
public final class PCRE2Matcher {
    public let regex: PCRE2Regex
    private let matchData: OpaquePointer
    private let context: OpaquePointer

    public enum Outcome: Equatable {
        case match(Range<Int>)
        case noMatch
        /// The match or depth limit was hit; the caller keeps the line and says why.
        case limitExceeded
        case failed(code: Int32)
    }

    public init(regex: PCRE2Regex, matchLimit: UInt32 = 1_000_000, depthLimit: UInt32 = 10_000) {
        self.regex = regex
        matchData = pcre2_match_data_create_from_pattern_8(regex.code, nil)
        context = pcre2_match_context_create_8(nil)
        pcre2_set_match_limit_8(context, matchLimit)
        pcre2_set_depth_limit_8(context, depthLimit)
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_match_context_free_8(context)
    }

    /// Matches against raw bytes; invalid UTF-8 in the subject is allowed (PCRE2_MATCH_INVALID_UTF).
    public func firstMatch(in subject: UnsafeRawBufferPointer) -> Outcome {
        let base = subject.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
        let result =
            regex.usesJIT
            ? pcre2_jit_match_8(regex.code, base, subject.count, 0, 0, matchData, context)
            : pcre2_match_8(regex.code, base, subject.count, 0, 0, matchData, context)
        if result >= 0 {
            let ovector = pcre2_get_ovector_pointer_8(matchData)!
            return .match(Int(ovector[0])..<Int(ovector[1]))
        }
        switch result {
        case PCRE2_ERROR_NOMATCH: return .noMatch
        case PCRE2_ERROR_MATCHLIMIT, PCRE2_ERROR_DEPTHLIMIT, PCRE2_ERROR_HEAPLIMIT: return .limitExceeded
        default: return .failed(code: result)
        }
    }

    public func firstMatch(in text: String) -> Outcome {
        var text = text
        return text.withUTF8 { firstMatch(in: UnsafeRawBufferPointer($0)) }
    }

    /// The byte range of group `number` in the last successful match, nil when it did not take part.
    public func groupRange(_ number: Int) -> Range<Int>? {
        guard number < Int(pcre2_get_ovector_count_8(matchData)) else { return nil }
        let ovector = pcre2_get_ovector_pointer_8(matchData)!
        let start = ovector[2 * number]
        guard start != cpcre2_unset() else { return nil }
        return Int(start)..<Int(ovector[2 * number + 1])
    }
}
