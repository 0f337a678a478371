import Dispatch
import LogqIndex
import Synchronization

/// Runs a query over a store snapshot: index lookups narrow each segment to candidates, candidate
/// blocks are decoded and every candidate is verified; results come newest first.
public struct QueryExecutor: Sendable {
    public let snapshot: StoreSnapshot

    public init(snapshot: StoreSnapshot) {
        self.snapshot = snapshot
    }

    /// Up to `limit` matching records, newest first.
    public func search(_ query: Query, limit: Int) throws(StorageError) -> [LogRecord] {
        guard limit > 0 else { return [] }
        var results = snapshot.memtableRecords(matching: query)
        results = newestFirst(results, limit: limit)

        for segment in snapshot.segments.sorted(by: { $0.maxTime > $1.maxTime }) {
            // Early stop: once `limit` records are held, a segment wholly older than the oldest adds nothing.
            let cutoff = results.count == limit ? results.last!.timestamp : Int64.min
            guard segment.maxTime >= cutoff else { continue }
            var found: [LogRecord] = []
            let (ordinals, exact) = try candidates(for: query, in: segment)
            // When what the index leaves unchecked is on the message alone (a word, a phrase), the candidate
            // rows are checked on the message bytes in place, as `count` does: a block whose messages lack
            // the word is ruled out without decoding a record (a word in no record, whose candidates are
            // the blocks its filter wrongly admits, decoded and checked every row of them).
            let checks = exact ? nil : try messageChecks(for: query, in: segment)
            // Newest first, a block at a time, decoding only the candidate rows (only the newest ones
            // still needed when the candidates match for certain).
            var end = ordinals.count
            scan: while end > 0 && found.count < limit {
                let block = segment.blockIndex(containing: Int(ordinals[end - 1]))
                let first = segment.blocks[block].firstOrdinal
                var start = end - 1
                while start > 0 && Int(ordinals[start - 1]) >= first { start -= 1 }
                var rows = ordinals[start..<end].map { Int($0) - first }
                if exact {
                    rows = Array(rows.suffix(limit - found.count))
                } else if let checks {
                    rows = Array(try segment.rows(rows, ofBlock: block, passing: checks).suffix(limit - found.count))
                } else if let matching = try matchingRows(rows, of: block, in: segment, query) {
                    rows = Array(matching.suffix(limit - found.count))
                }
                for record in try segment.readRecords(block, rows: rows).reversed() {
                    if record.timestamp < cutoff { break scan }
                    if query.matches(record) {
                        found.append(record)
                        if found.count == limit { break scan }
                    }
                }
                end = start
            }
            results = newestFirst(results + found, limit: limit)
        }
        return results
    }

    /// Up to `limit` matching records, oldest first (`logq --reverse`): the mirror of `search`, reading
    /// segments and blocks from the oldest and stopping as early.
    public func searchOldestFirst(_ query: Query, limit: Int) throws(StorageError) -> [LogRecord] {
        guard limit > 0 else { return [] }
        func oldestFirst(_ records: [LogRecord]) -> [LogRecord] {
            Array(records.sorted { $0.timestamp < $1.timestamp }.prefix(limit))
        }
        var results = oldestFirst(snapshot.memtableRecords(matching: query))
        for segment in snapshot.segments.sorted(by: { $0.minTime < $1.minTime }) {
            let cutoff = results.count == limit ? results.last!.timestamp : Int64.max
            guard segment.minTime <= cutoff else { continue }
            var found: [LogRecord] = []
            let (ordinals, exact) = try candidates(for: query, in: segment)
            let checks = exact ? nil : try messageChecks(for: query, in: segment)
            scan: for (block, range) in Self.blockRuns(ordinals, in: segment) {
                let first = segment.blocks[block].firstOrdinal
                var rows = ordinals[range].map { Int($0) - first }
                if exact {
                    rows = Array(rows.prefix(limit - found.count))
                } else if let checks {
                    rows = Array(try segment.rows(rows, ofBlock: block, passing: checks).prefix(limit - found.count))
                } else if let matching = try matchingRows(rows, of: block, in: segment, query) {
                    rows = Array(matching.prefix(limit - found.count))
                }
                for record in try segment.readRecords(block, rows: rows) {
                    if record.timestamp > cutoff { break scan }
                    if exact || query.matches(record) {
                        found.append(record)
                        if found.count == limit { break scan }
                    }
                }
            }
            results = oldestFirst(results + found)
        }
        return results
    }

    /// How many records match.
    public func count(_ query: Query) throws(StorageError) -> Int {
        var total = snapshot.memtableCount(matching: query)
        for segment in snapshot.segments {
            if query.root == .all {
                total += segment.recordCount
                continue
            }
            let (candidates, exact) = try candidates(for: query, in: segment)
            if exact {
                total += candidates.count
                continue
            }
            if let checks = try messageChecks(for: query, in: segment) {
                // The whole query's candidates, narrowed by the index (a regex's words too): only the
                // message checks are left, on the message bytes, without decoding a record.
                total += try countMessageMatches(checks, candidates, in: segment)
            } else {
                // Only the candidate rows, with only what the filter reads: a field's check (`traceId:…`,
                // whose candidates are whole blocks when its term is in the blocks' filters) needs no
                // message and no other field, and messages are most of a block's bytes.
                for run in Self.blockRuns(candidates, in: segment) {
                    let first = segment.blocks[run.block].firstOrdinal
                    let rows = candidates[run.range].map { Int($0) - first }
                    if let matching = try matchingRows(rows, of: run.block, in: segment, query) {
                        total += matching.count
                    } else {
                        total += try segment.readRecords(run.block, rows: rows).filter(query.matches).count
                    }
                }
            }
        }
        return total
    }

    /// The ordinals that may match the query, ascending, and whether they all match for certain (then a
    /// count needs no decoding).
    func candidates(
        for query: Query, in segment: SegmentReader
    ) throws(StorageError) -> (ordinals: [UInt32], exact: Bool) {
        let plan = try candidates(for: query.root, in: segment)
        return (plan.ordinals ?? Array(0..<UInt32(segment.recordCount)), plan.exact)
    }

    /// The message checks that decide a query's inexact candidates in `segment` without decoding records:
    /// all of its filters when they only read the message, or its message filters when the rest is decided
    /// exactly by the index (`service:order "lock wait"`); nil when records must be decoded.
    func messageChecks(for query: Query, in segment: SegmentReader) throws(StorageError) -> [Filter]? {
        if let filters = query.root.messageOnlyFilters { return filters }
        guard let split = query.root.indexedAndMessageParts else { return nil }
        return try candidatePlan(for: Query(root: split.indexed), in: segment).exact ? split.message : nil
    }

    /// The candidates of the query's filter, nil ordinals meaning every record of the segment.
    func candidatePlan(for query: Query, in segment: SegmentReader) throws(StorageError) -> Candidates {
        try candidates(for: query.root, in: segment)
    }

    /// Candidates of one node: nil ordinals mean every record of the segment.
    struct Candidates {
        var ordinals: [UInt32]?
        var exact: Bool
    }

    private func candidates(for node: QueryNode, in segment: SegmentReader) throws(StorageError) -> Candidates {
        switch node {
        case .all:
            return Candidates(ordinals: nil, exact: true)
        case .filter(.timeRange(let from, let to)):
            // Time pruning by the blocks' ranges: blocks wholly inside need no check.
            let lower = from ?? .min
            let upper = to ?? .max
            if segment.maxTime < lower || segment.minTime > upper { return Candidates(ordinals: [], exact: true) }
            if segment.minTime >= lower && segment.maxTime <= upper { return Candidates(ordinals: nil, exact: true) }
            var ordinals: [UInt32] = []
            var exact = true
            for block in segment.blocks where block.maxTime >= lower && block.minTime <= upper {
                exact = exact && block.minTime >= lower && block.maxTime <= upper
                ordinals.append(contentsOf: block.ordinals)
            }
            return Candidates(ordinals: ordinals, exact: exact)
        case .filter(.numericRange(let field, let range)) where segment.fieldRanges != nil:
            // Numeric pruning by the blocks' field ranges (format 2): a block whose numbers for the field all
            // miss the range, or that lacks the field, holds no match. The rest are checked record by record.
            let scale = range.unit == .seconds ? Quantities.secondsPerUnit(ofField: field) : 1
            var ordinals: [UInt32] = []
            for (block, ranges) in segment.fieldRanges!.enumerated() {
                guard let entry = ranges.first(where: { $0.field == field }),
                    entry.mayHold(
                        scaledBy: scale, lower: range.lower, lowerInclusive: range.lowerInclusive, upper: range.upper,
                        upperInclusive: range.upperInclusive)
                else { continue }
                ordinals.append(contentsOf: segment.blocks[block].ordinals)
            }
            return Candidates(ordinals: ordinals, exact: false)
        case .filter(let filter):
            var lists: [[UInt32]] = []
            var exact = filter.isDecidedByIndex
            for term in filter.indexTerms {
                switch try segment.lookup(term) {
                case .postings(let postings):
                    lists.append(postings)
                case .blocks(let blocks):
                    exact = false
                    lists.append(blocks.flatMap { segment.blocks[$0].ordinals })
                }
                if lists.last!.isEmpty { return Candidates(ordinals: [], exact: true) }
            }
            guard !lists.isEmpty else { return Candidates(ordinals: nil, exact: false) }
            lists.sort { $0.count < $1.count }
            return Candidates(ordinals: lists.dropFirst().reduce(lists[0]) { intersect($0, $1) }, exact: exact)
        case .and(let children):
            var result = Candidates(ordinals: nil, exact: true)
            for child in children {
                let next = try candidates(for: child, in: segment)
                result.exact = result.exact && next.exact
                switch (result.ordinals, next.ordinals) {
                case (nil, _): result.ordinals = next.ordinals
                case (let current?, let other?): result.ordinals = intersect(current, other)
                default: break
                }
                if result.ordinals?.isEmpty == true { return Candidates(ordinals: [], exact: true) }
            }
            return result
        case .or(let children):
            var union: [UInt32] = []
            var exact = true
            for child in children {
                let next = try candidates(for: child, in: segment)
                guard let ordinals = next.ordinals else { return Candidates(ordinals: nil, exact: exact && next.exact) }
                union = LogqQuery.union(union, ordinals)
                exact = exact && next.exact
            }
            return Candidates(ordinals: union, exact: exact)
        case .not(let child):
            // Only an exact set can be complemented; a superset's complement would drop matches.
            let inner = try candidates(for: child, in: segment)
            guard inner.exact else { return Candidates(ordinals: nil, exact: false) }
            guard let ordinals = inner.ordinals else { return Candidates(ordinals: [], exact: true) }
            return Candidates(ordinals: difference(of: segment.recordCount, minus: ordinals), exact: true)
        }
    }

    private func newestFirst(_ records: [LogRecord], limit: Int) -> [LogRecord] {
        Array(records.sorted { $0.timestamp > $1.timestamp }.prefix(limit))
    }
}

/// Sorted-list union.
func union(_ lhs: [UInt32], _ rhs: [UInt32]) -> [UInt32] {
    var result: [UInt32] = []
    result.reserveCapacity(lhs.count + rhs.count)
    var left = 0
    var right = 0
    while left < lhs.count || right < rhs.count {
        if right == rhs.count || (left < lhs.count && lhs[left] < rhs[right]) {
            result.append(lhs[left])
            left += 1
        } else if left == lhs.count || rhs[right] < lhs[left] {
            result.append(rhs[right])
            right += 1
        } else {
            result.append(lhs[left])
            left += 1
            right += 1
        }
    }
    return result
}

/// The ordinals `0..<count` that are not in `excluded` (sorted).
func difference(of count: Int, minus excluded: [UInt32]) -> [UInt32] {
    var result: [UInt32] = []
    result.reserveCapacity(max(0, count - excluded.count))
    var next = 0
    for ordinal in 0..<UInt32(count) {
        if next < excluded.count && excluded[next] == ordinal {
            next += 1
        } else {
            result.append(ordinal)
        }
    }
    return result
}

/// Sorted-list intersection by galloping through the longer list.
func intersect(_ small: [UInt32], _ large: [UInt32]) -> [UInt32] {
    var result: [UInt32] = []
    result.reserveCapacity(small.count)
    var low = 0
    for value in small {
        var step = 1
        var high = low
        while high < large.count, large[high] < value {
            low = high + 1
            high += step
            step *= 2
        }
        high = min(high, large.count)
        while low < high {
            let middle = (low + high) / 2
            if large[middle] < value { low = middle + 1 } else { high = middle }
        }
        if low < large.count, large[low] == value { result.append(value) }
    }
    return result
}

extension QueryExecutor {
    /// The rows of `block` that match `query`, when its check reads no message: decided on records read
    /// without messages and with only the fields the query names, so that only the matches are then read
    /// whole (a `traceId:…` whose candidates are whole blocks read every message of them). nil when the
    /// check reads messages: then the rows are checked as they are read.
    func matchingRows(
        _ rows: [Int], of block: Int, in segment: SegmentReader, _ query: Query
    ) throws(StorageError) -> [Int]? {
        guard !query.root.readsMessage else { return nil }
        let records = try segment.readRecords(
            block, rows: rows, messages: false, fields: query.root.referencedFields)
        return zip(rows, records).filter { query.matches($0.1) }.map(\.0)
    }
}

extension QueryExecutor {
    /// Word and phrase checks over the candidates' blocks, reading message bytes in place, one block per
    /// task on every core.
    func countMessageMatches(
        _ filters: [Filter], _ candidates: [UInt32], in segment: SegmentReader
    ) throws(StorageError)
        -> Int
    {
        let blockRuns = Self.blockRuns(candidates, in: segment).map {
            (block: $0.block, ordinals: candidates[$0.range])
        }
        let runs = blockRuns
        let counts = Mutex([Int](repeating: 0, count: runs.count))
        let failure = Mutex<StorageError?>(nil)
        DispatchQueue.concurrentPerform(iterations: runs.count) { index in
            let run = runs[index]
            let first = segment.blocks[run.block].firstOrdinal
            do {
                let rows = run.ordinals.map { Int($0) - first }
                let found = try segment.rows(rows, ofBlock: run.block, passing: filters).count
                counts.withLock { $0[index] = found }
            } catch let error as StorageError {
                failure.withLock { $0 = $0 ?? error }
            } catch {
                failure.withLock { $0 = $0 ?? .corruption(file: segment.path, offset: 0, reason: "\(error)") }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return counts.withLock { $0.reduce(0, +) }
    }
}

extension QueryExecutor {
    /// Ascending candidate ordinals cut into runs that share a block: the block and the run's range.
    static func blockRuns(_ ordinals: [UInt32], in segment: SegmentReader) -> [(block: Int, range: Range<Int>)] {
        var runs: [(block: Int, range: Range<Int>)] = []
        var start = 0
        while start < ordinals.count {
            let block = segment.blockIndex(containing: Int(ordinals[start]))
            let end = segment.blocks[block].firstOrdinal + segment.blocks[block].recordCount
            var stop = start
            while stop < ordinals.count && Int(ordinals[stop]) < end { stop += 1 }
            runs.append((block, start..<stop))
            start = stop
        }
        return runs
    }
}

extension SegmentReader.BlockInfo {
    /// The ordinals of the block's records.
    var ordinals: [UInt32] { (UInt32(firstOrdinal)..<UInt32(firstOrdinal + recordCount)).map { $0 } }
}
