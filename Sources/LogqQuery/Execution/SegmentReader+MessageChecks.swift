import LogqIndex

extension SegmentReader {
    /// The rows of `block` (ascending positions) whose messages pass every filter (word, phrase or
    /// message-regex filters, see `Filter.messageMatcher`). When every filter is found in a first line
    /// alone (`Filter.isFoundInFirstLineAlone`), a version 5 block is checked on first lines first: in the
    /// Spring services' error groups the stack traces are most of the bytes, and a phrase is nearly always
    /// in the first line.
    func rows(_ rows: [Int], ofBlock block: Int, passing filters: [Filter]) throws(StorageError) -> [Int] {
        let matchers = filters.compactMap { $0.messageMatcher() }
        // Every filter must pass, so a passing message holds each word of each word or phrase filter: the
        // longest is the rarest bet for ruling out a stream whole.
        let words = filters.flatMap { filter -> [String] in
            if case .messageWords(_, let tokens) = filter { return tokens }
            return []
        }
        return try self.rows(
            block, rows: rows, passing: { message in matchers.allSatisfy { $0(message) } },
            firstLineSuffices: filters.allSatisfy(\.isFoundInFirstLineAlone),
            requiredWord: words.max { $0.utf8.count < $1.utf8.count }.map { Array($0.utf8) })
    }
}
