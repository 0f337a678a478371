import Dispatch
import Foundation
import LogqIndex
import Synchronization

extension QueryExecutor {
    /// Bounds on what a pipeline may hold in memory; exceeding one is a clear error, not a slow death.
    public struct PipelineLimits: Sendable {
        public var maxGroups: Int
        /// Values kept for quantiles and distinct counts, over all groups.
        public var maxValues: Int
        /// Records `| sort` may order (it needs them all).
        public var maxSortedRecords: Int

        public init(maxGroups: Int = 100_000, maxValues: Int = 20_000_000, maxSortedRecords: Int = 1_000_000) {
            self.maxGroups = maxGroups
            self.maxValues = maxValues
            self.maxSortedRecords = maxSortedRecords
        }
    }

    /// A pipeline that cannot run within its limits.
    public struct PipelineError: Error, CustomStringConvertible, Sendable {
        public let description: String
        init(description: String) { self.description = description }
    }

    /// Runs the filter and then the pipes. Without pipes (or with only `limit`): up to `limit` records,
    /// newest first, as `search` gives them.
    public func run(_ query: Query, limit: Int, limits: PipelineLimits = PipelineLimits()) throws -> QueryResult {
        let filter = Query(root: query.root)
        var pipes = query.pipes[...]
        var records: [LogRecord]
        var table: ResultTable?

        if let first = pipes.first, first.isAggregation {
            pipes = pipes.dropFirst()
            table = try aggregate(filter, first, limits: limits)
            records = []
        } else if pipes.contains(where: { if case .sort = $0 { return true } else { return false } }) {
            // Sorting needs every match; bounded so that a sort of everything fails clearly.
            records = try search(filter, limit: limits.maxSortedRecords + 1)
            guard records.count <= limits.maxSortedRecords else {
                throw PipelineError(
                    description: "sort over more than \(limits.maxSortedRecords) records: narrow the query, or "
                        + "aggregate first (| stats … by (…) | sort …)")
            }
        } else {
            // Newest first, stopping early: a `limit` pipe before any other narrows what is read.
            var wanted = limit
            if case .limit(let count)? = pipes.first { wanted = min(wanted, count) }
            records = try search(filter, limit: wanted)
        }

        for pipe in pipes {
            switch pipe {
            case .count, .top, .stats, .histogram:
                throw PipelineError(description: "'| \(pipe)' must be the first pipe: it reads records, not rows")
            case .limit(let count):
                if table != nil {
                    table!.rows = Array(table!.rows.prefix(count))
                } else {
                    records = Array(records.prefix(count))
                }
            case .sort(let keys):
                if table != nil {
                    table = try Self.sorted(table!, by: keys)
                } else {
                    records = Self.sorted(records, by: keys)
                }
            case .fields(let names):
                if let current = table {
                    let positions = try names.map { name throws -> Int in
                        guard let position = current.columns.firstIndex(of: name) else {
                            throw PipelineError(
                                description:
                                    "no column '\(name)' to keep: the columns are \(current.columns.joined(separator: ", "))"
                            )
                        }
                        return position
                    }
                    table = ResultTable(columns: names, rows: current.rows.map { row in positions.map { row[$0] } })
                } else {
                    table = ResultTable(
                        columns: names,
                        rows: records.map { record in names.map { FieldAccess.value(of: $0, in: record) } })
                }
            }
        }
        if let table {
            return .table(ResultTable(columns: table.columns, rows: Array(table.rows.prefix(max(limit, 0)))))
        }
        return .records(Array(records.prefix(limit)))
    }

    private func aggregate(_ filter: Query, _ pipe: QueryPipe, limits: PipelineLimits) throws -> ResultTable {
        switch pipe {
        case .count(let by) where by.isEmpty:
            return ResultTable(columns: ["count"], rows: [[.number(Double(try count(filter)))]])
        case .count(let by), .top(_, let by):
            var aggregation = Aggregation(
                by: by, functions: [StatsFunction(.count, nil)], maxGroups: limits.maxGroups,
                maxValues: limits.maxValues)
            aggregation = try aggregateMatches(filter, aggregation)
            var table = try Self.sorted(
                aggregation.table(), by: [SortKey("count", descending: true)] + by.map { SortKey($0) })
            if case .top(let count, _) = pipe { table.rows = Array(table.rows.prefix(count)) }
            return table
        case .stats(let functions, let by):
            var aggregation = Aggregation(
                by: by, functions: functions, maxGroups: limits.maxGroups, maxValues: limits.maxValues)
            aggregation = try aggregateMatches(filter, aggregation)
            var table = aggregation.table()
            // `stats` over no records still answers: one row of empty aggregates, as SQL does.
            if by.isEmpty && table.rows.isEmpty {
                table.rows = [functions.map { $0.kind == .count || $0.kind == .countUniq ? .number(0) : .null }]
            }
            return try Self.sorted(table, by: by.map { SortKey($0) })
        case .histogram(let step, let by):
            var aggregation = Aggregation(
                by: by, functions: [StatsFunction(.count, nil)], bucket: step, maxGroups: limits.maxGroups,
                maxValues: limits.maxValues)
            aggregation = try aggregateMatches(filter, aggregation)
            return try Self.sorted(aggregation.table(), by: (["_time"] + by).map { SortKey($0) }).formattingTime()
        case .sort, .limit, .fields:
            preconditionFailure("not an aggregation")
        }
    }

    /// Feeds every matching record to `prototype` (empty), one worker per core, each with its own
    /// aggregation over a share of the candidate blocks, merged at the end. Messages are decoded only
    /// when the filter must check them or the pipe reads them.
    func aggregateMatches(_ query: Query, _ prototype: Aggregation) throws -> Aggregation {
        var result = prototype
        try snapshot.forEachMemtableRecord(matching: query) { record throws in try result.add(record) }
        struct Work {
            var segment: SegmentReader
            var block: Int
            /// Positions in the block; nil for all of its records.
            var rows: [Int]?
            var exact: Bool
            /// Word, phrase or regex checks that alone decide the inexact candidates, on message bytes in
            /// place: the rows that pass are then exact.
            var messageChecks: [Filter]?
        }
        var work: [Work] = []
        for segment in snapshot.segments {
            let plan = try candidatePlan(for: query, in: segment)
            let messageChecks = plan.exact ? nil : try messageChecks(for: query, in: segment)
            if plan.exact && plan.ordinals == nil && prototype.countedColumn == nil {
                // Every record: each block whole, without listing ten million ordinals first.
                for (block, info) in segment.blocks.enumerated() {
                    if try result.addWholeBlock(count: info.recordCount, minimum: info.minTime, maximum: info.maxTime) {
                        continue
                    }
                    work.append(Work(segment: segment, block: block, rows: nil, exact: true))
                }
                continue
            }
            var ordinals = plan.ordinals ?? Array(0..<UInt32(segment.recordCount))
            let exact = plan.exact
            if exact, let column = prototype.countedColumn {
                ordinals = try countFromPostings(of: column, ordinals, in: segment, into: &result)
            }
            for (block, range) in Self.blockRuns(ordinals, in: segment) {
                let info = segment.blocks[block]
                // A whole block inside one histogram bucket is counted from the block directory.
                if exact, range.count == info.recordCount,
                    try result.addWholeBlock(count: info.recordCount, minimum: info.minTime, maximum: info.maxTime)
                {
                    continue
                }
                let first = segment.blocks[block].firstOrdinal
                work.append(
                    Work(
                        segment: segment, block: block, rows: ordinals[range].map { Int($0) - first }, exact: exact,
                        messageChecks: messageChecks))
            }
        }
        guard !work.isEmpty else { return result }
        let items = work
        let messageFilters = query.root.readsMessage
        // Free fields are made into Strings only when the pipe or an inexact filter reads them.
        let pipeFields = prototype.readFields
        let filterFields = pipeFields.union(query.root.referencedFields)
        // Exact candidates need no whole record when the pipe reads only columns and free fields.
        let columnarReads = prototype.columnarReads
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, items.count))
        let partials = Mutex([Aggregation?](repeating: nil, count: workers))
        let failure = Mutex<(any Error)?>(nil)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var local = prototype
            do {
                for index in stride(from: worker, to: items.count, by: workers) {
                    var item = items[index]
                    let recordCount = item.segment.blocks[item.block].recordCount
                    if let checks = item.messageChecks, let rows = item.rows {
                        item.rows = try item.segment.rows(rows, ofBlock: item.block, passing: checks)
                        item.exact = true
                        if item.rows!.isEmpty { continue }
                    }
                    if item.exact, let reads = columnarReads {
                        let whole = (item.rows?.count ?? recordCount) == recordCount
                        try local.add(
                            try item.segment.readColumns(
                                item.block, rows: whole ? nil : item.rows, columns: reads.columns, fields: reads.fields,
                                numbers: reads.numbers)
                        )
                        continue
                    }
                    let rows = item.rows ?? Array(0..<recordCount)
                    let needsMessages = prototype.readsMessage || (!item.exact && messageFilters)
                    let records = try item.segment.readRecords(
                        item.block, rows: rows, messages: needsMessages,
                        fields: item.exact ? pipeFields : filterFields)
                    for record in records where item.exact || query.matches(record) {
                        try local.add(record)
                    }
                }
                partials.withLock { $0[worker] = local }
            } catch {
                failure.withLock { $0 = $0 ?? error }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        for partial in partials.withLock({ $0 }) {
            if let partial { try result.merge(partial) }
        }
        return result
    }

    /// Counts the candidates `ordinals` (exact, ascending) by their value of column `field` from the posting
    /// list of each value, without reading a block; returns the candidates no posting list holds (a value
    /// held by one record of the segment, one longer than the index's limit, or none), to be read as usual.
    /// A record holds at most one value of a column, so the lists do not overlap.
    private func countFromPostings(
        of field: String, _ ordinals: [UInt32], in segment: SegmentReader, into result: inout Aggregation
    ) throws -> [UInt32] {
        var pending = [Bool](repeating: false, count: segment.recordCount)
        for ordinal in ordinals { pending[Int(ordinal)] = true }
        for (value, postings) in try segment.indexedValues(ofColumn: field) {
            var count = 0
            for ordinal in postings where pending[Int(ordinal)] {
                pending[Int(ordinal)] = false
                count += 1
            }
            if count > 0 { try result.addCount(count, key: [.string(value)]) }
        }
        return ordinals.filter { pending[Int($0)] }
    }

    static func sorted(_ table: ResultTable, by keys: [SortKey]) throws -> ResultTable {
        let positions = try keys.map { key throws -> (Int, Bool) in
            guard let position = table.columns.firstIndex(of: key.field) else {
                throw PipelineError(
                    description:
                        "no column '\(key.field)' to sort by: the columns are \(table.columns.joined(separator: ", "))")
            }
            return (position, key.descending)
        }
        var sorted = table
        sorted.rows.sort { lhs, rhs in
            for (position, descending) in positions where lhs[position] != rhs[position] {
                return descending
                    ? TableValue.ascending(rhs[position], lhs[position])
                    : TableValue.ascending(lhs[position], rhs[position])
            }
            return false
        }
        return sorted
    }

    static func sorted(_ records: [LogRecord], by keys: [SortKey]) -> [LogRecord] {
        // `_time` sorts by the timestamp itself, not by its text.
        let keyed = records.map { record in
            (
                record,
                keys.map {
                    $0.field == "_time"
                        ? .number(Double(record.timestamp)) : FieldAccess.value(of: $0.field, in: record)
                }
            )
        }
        return keyed.sorted { lhs, rhs in
            for (index, key) in keys.enumerated() where lhs.1[index] != rhs.1[index] {
                return key.descending
                    ? TableValue.ascending(rhs.1[index], lhs.1[index])
                    : TableValue.ascending(lhs.1[index], rhs.1[index])
            }
            return false
        }.map(\.0)
    }
}
