/// Per-worker matcher for one `GrokPattern`. After a match, captures are byte ranges into the line;
/// nothing is copied until the caller asks for a value.
public final class GrokMatcher {
    public let pattern: GrokPattern
    let matcher: PCRE2Matcher
    // The group number of each capture, apart from the capture structs (which hold Strings that the hot
    // path would otherwise retain and release).
    private let groups: [Int]

    public enum Outcome: Equatable {
        case matched
        case noMatch
        /// The match limits were hit: the line is kept unparsed, with the reason.
        case limitExceeded
        case failed(code: Int32)
    }

    public init(pattern: GrokPattern, limits: MatchLimits = .standard) {
        self.pattern = pattern
        matcher = PCRE2Matcher(regex: pattern.regex, limits: limits)
        groups = pattern.captures.map(\.group)
    }

    @inline(__always)
    public func match(_ line: UnsafeRawBufferPointer) -> Outcome {
        switch matcher.firstMatch(in: line) {
        case .match: return .matched
        case .noMatch: return .noMatch
        case .limitExceeded: return .limitExceeded
        case .failed(let code): return .failed(code: code)
        }
    }

    /// The range of capture `index` (into `pattern.captures`), nil when it did not take part or is
    /// empty: grok sets no field for an empty capture.
    @inline(__always)
    public func range(ofCapture index: Int) -> Range<Int>? {
        guard let range = matcher.groupRange(groups[index]), !range.isEmpty else { return nil }
        return range
    }

    /// The captured values of the last match, typed, in capture order. For tests and the CLI; the ingest
    /// path reads ranges instead.
    public func values(in line: UnsafeRawBufferPointer) -> [(field: String, value: GrokValue)] {
        pattern.captures.indices.compactMap { index in
            guard let range = range(ofCapture: index) else { return nil }
            let bytes = UnsafeRawBufferPointer(rebasing: line[range])
            return (pattern.captures[index].field, GrokValue(bytes, as: pattern.captures[index].type))
        }
    }

    /// Matches `line` and returns its values, nil when it does not match.
    public func values(in line: String) -> [(field: String, value: GrokValue)]? {
        var line = line
        return line.withUTF8 { buffer in
            let bytes = UnsafeRawBufferPointer(buffer)
            return match(bytes) == .matched ? values(in: bytes) : nil
        }
    }
}
