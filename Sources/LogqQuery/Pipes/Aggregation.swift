import LogqIndex

/// Groups records by the values of `by` fields and accumulates functions per group, in bounded memory:
/// at most `maxGroups` groups, and at most `maxValues` values kept for quantiles and distinct counts.
struct Aggregation: Sendable {
    let by: [String]
    let functions: [StatsFunction]
    let maxGroups: Int
    let maxValues: Int
    /// Histogram buckets: the width in ns, and the bucket start becomes the first column `_time`.
    let bucket: Int64?

    private struct Accumulator: Sendable {
        var count = 0
        var sums: [Double]
        var counts: [Int]
        var minimums: [Double]
        var maximums: [Double]
        var values: [[Double]]
        var distinct: [Set<TableValue>]
    }

    private var groups: [[TableValue]: Int] = [:]
    private var keys: [[TableValue]] = []
    private var accumulators: [Accumulator] = []
    private var keptValues = 0

    init(by: [String], functions: [StatsFunction], bucket: Int64? = nil, maxGroups: Int, maxValues: Int) {
        self.by = by
        self.functions = functions
        self.bucket = bucket
        self.maxGroups = maxGroups
        self.maxValues = maxValues
    }

    mutating func add(_ record: LogRecord) throws(QueryExecutor.PipelineError) {
        var key = by.map { FieldAccess.value(of: $0, in: record) }
        if let bucket { key.insert(Self.bucketKey(record.timestamp, bucket), at: 0) }
        let index = try groupIndex(key)
        accumulators[index].count += 1
        for (position, function) in functions.enumerated() {
            guard let field = function.field else { continue }
            switch function.kind {
            case .count:
                break
            case .countUniq:
                let value = FieldAccess.value(of: field, in: record)
                guard value != .null else { continue }
                if accumulators[index].distinct[position].insert(value).inserted { try keep() }
            default:
                guard let number = FieldAccess.number(of: field, in: record), number.isFinite else { continue }
                accumulators[index].sums[position] += number
                accumulators[index].counts[position] += 1
                accumulators[index].minimums[position] = min(accumulators[index].minimums[position], number)
                accumulators[index].maximums[position] = max(accumulators[index].maximums[position], number)
                if case .quantile = function.kind {
                    accumulators[index].values[position].append(number)
                    try keep()
                }
            }
        }
    }

    /// What `add(_ slice:)` reads, when it can take records column by column: the aggregation groups by
    /// column fields only (`level`, `service`, `host`, `source`), is no histogram, and its functions read
    /// free fields. Nil when it needs whole records.
    var columnarReads: (columns: [String], fields: [String], numbers: [String])? {
        guard bucket == nil, by.allSatisfy({ SegmentReader.columnFields.contains($0) }) else { return nil }
        let fields = functions.compactMap(\.field)
        let unsliced: Set<String> = SegmentReader.columnFields.union(["_time", "_msg", "message", "msg"])
        guard !fields.contains(where: { unsliced.contains($0) }) else { return nil }
        // `count_uniq` needs the values themselves; every other function only their numbers.
        func unique(_ names: [String]) -> [String] {
            var seen = Set<String>()
            return names.filter { seen.insert($0).inserted }
        }
        let asValues = unique(functions.filter { $0.kind == .countUniq }.compactMap(\.field))
        let asNumbers = unique(functions.filter { $0.kind != .countUniq }.compactMap(\.field))
        return (by, asValues, asNumbers)
    }

    /// The records of a block slice read with `columnarReads`: the same as adding each record, without
    /// making one. Groups are found once per distinct combination of the block's column codes.
    mutating func add(_ slice: BlockColumnSlice) throws(QueryExecutor.PipelineError) {
        let keyColumns = by.map {
            slice.columns[$0] ?? DictionaryColumn(dictionary: [""], codes: Array(repeating: 0, count: slice.count))
        }
        func key(_ row: Int) -> [TableValue] {
            keyColumns.map { column in
                let value = column.dictionary[column.codes[row]]
                return value.isEmpty ? .null : .string(value)
            }
        }
        var rowGroups = [Int](repeating: 0, count: slice.count)
        if keyColumns.isEmpty {
            if slice.count > 0 { rowGroups = Array(repeating: try groupIndex([]), count: slice.count) }
        } else if keyColumns.count == 1 {
            var groupOfCode = [Int](repeating: -1, count: keyColumns[0].dictionary.count)
            for row in 0..<slice.count {
                let code = keyColumns[0].codes[row]
                if groupOfCode[code] < 0 { groupOfCode[code] = try groupIndex(key(row)) }
                rowGroups[row] = groupOfCode[code]
            }
        } else {
            var groupOfCombination: [Int: Int] = [:]
            for row in 0..<slice.count {
                var combination = 0
                for column in keyColumns { combination = combination &* column.dictionary.count &+ column.codes[row] }
                if let group = groupOfCombination[combination] {
                    rowGroups[row] = group
                } else {
                    let group = try groupIndex(key(row))
                    groupOfCombination[combination] = group
                    rowGroups[row] = group
                }
            }
        }
        var groupCounts = [Int](repeating: 0, count: accumulators.count)
        for group in rowGroups { groupCounts[group] += 1 }
        for (group, count) in groupCounts.enumerated() where count > 0 { accumulators[group].count += count }
        for (position, function) in functions.enumerated() {
            guard let field = function.field else { continue }
            switch function.kind {
            case .count:
                break
            case .countUniq:
                guard let values = slice.fields[field] else { continue }
                for (row, value) in values.enumerated() {
                    guard let value else { continue }
                    if accumulators[rowGroups[row]].distinct[position].insert(TableValue(value)).inserted {
                        try keep()
                    }
                }
            default:
                guard let values = slice.numbers[field] else { continue }
                // Gathered per group in flat arrays first, then added to the accumulators once per block:
                // reaching into an accumulator's nested arrays for every value was a sixth of `stats` time.
                let keepsValues = if case .quantile = function.kind { true } else { false }
                let groupCount = accumulators.count
                var sums = [Double](repeating: 0, count: groupCount)
                var counts = [Int](repeating: 0, count: groupCount)
                var minimums = [Double](repeating: .infinity, count: groupCount)
                var maximums = [Double](repeating: -.infinity, count: groupCount)
                var kept = [[Double]](repeating: [], count: keepsValues ? groupCount : 0)
                var keptCount = 0
                for row in values.indices {
                    let number = values[row]
                    guard number.isFinite else { continue }
                    let group = rowGroups[row]
                    sums[group] += number
                    counts[group] += 1
                    minimums[group] = min(minimums[group], number)
                    maximums[group] = max(maximums[group], number)
                    if keepsValues {
                        kept[group].append(number)
                        keptCount += 1
                    }
                }
                try keep(keptCount)
                for group in 0..<groupCount where counts[group] > 0 {
                    accumulators[group].sums[position] += sums[group]
                    accumulators[group].counts[position] += counts[group]
                    accumulators[group].minimums[position] = min(
                        accumulators[group].minimums[position], minimums[group])
                    accumulators[group].maximums[position] = max(
                        accumulators[group].maximums[position], maximums[group])
                    if keepsValues { accumulators[group].values[position].append(contentsOf: kept[group]) }
                }
            }
        }
    }

    /// The column this aggregation only counts records by, when it is one (`| count by (service)`): such a
    /// count may be read from the index's posting lists (see `addCount`).
    var countedColumn: String? {
        guard countsOnly, by.count == 1, SegmentReader.columnFields.contains(by[0]), bucket == nil else { return nil }
        return by[0]
    }

    /// Whether its one function is `count()`, so that records may be added as a number (`addCount`).
    private var countsOnly: Bool { functions.count == 1 && functions[0].kind == .count && functions[0].field == nil }

    /// The fields it reads from each record: its groups' and its functions'.
    var readFields: Set<String> { Set(by + functions.compactMap(\.field)) }

    /// The histogram column of a record at `time`: its bucket's start in milliseconds (steps are whole
    /// milliseconds), exact in a Double where nanoseconds are not.
    private static func bucketKey(_ time: Int64, _ bucket: Int64) -> TableValue {
        .number(Double((time - ((time % bucket) + bucket) % bucket) / 1_000_000))
    }

    /// Counts `count` records timed `minimum...maximum` without reading them, when this is a plain
    /// histogram (`| histogram 1m`, no `by`) and they all fall in one bucket; false when they must be read.
    mutating func addWholeBlock(count: Int, minimum: Int64, maximum: Int64) throws(QueryExecutor.PipelineError) -> Bool
    {
        guard let bucket, by.isEmpty, countsOnly else { return false }
        let first = Self.bucketKey(minimum, bucket)
        guard first == Self.bucketKey(maximum, bucket) else { return false }
        try addCount(count, key: [first])
        return true
    }

    /// `count` records whose group is `key`, at once.
    mutating func addCount(_ count: Int, key: [TableValue]) throws(QueryExecutor.PipelineError) {
        accumulators[try groupIndex(key)].count += count
    }

    private mutating func groupIndex(_ key: [TableValue]) throws(QueryExecutor.PipelineError) -> Int {
        if let existing = groups[key] { return existing }
        guard keys.count < maxGroups else {
            throw QueryExecutor.PipelineError(
                description: "more than \(maxGroups) groups: group by fewer or coarser fields, or narrow the query")
        }
        let index = keys.count
        groups[key] = index
        keys.append(key)
        let width = functions.count
        accumulators.append(
            Accumulator(
                sums: Array(repeating: 0, count: width), counts: Array(repeating: 0, count: width),
                minimums: Array(repeating: .infinity, count: width),
                maximums: Array(repeating: -.infinity, count: width), values: Array(repeating: [], count: width),
                distinct: Array(repeating: [], count: width)))
        return index
    }

    /// Folds another worker's groups into these (the same pipe over other records).
    mutating func merge(_ other: Aggregation) throws(QueryExecutor.PipelineError) {
        for (otherIndex, key) in other.keys.enumerated() {
            let theirs = other.accumulators[otherIndex]
            guard let index = groups[key] else {
                guard keys.count < maxGroups else {
                    throw QueryExecutor.PipelineError(
                        description:
                            "more than \(maxGroups) groups: group by fewer or coarser fields, or narrow the query")
                }
                groups[key] = keys.count
                keys.append(key)
                accumulators.append(theirs)
                continue
            }
            accumulators[index].count += theirs.count
            for position in functions.indices {
                accumulators[index].sums[position] += theirs.sums[position]
                accumulators[index].counts[position] += theirs.counts[position]
                accumulators[index].minimums[position] = min(
                    accumulators[index].minimums[position], theirs.minimums[position])
                accumulators[index].maximums[position] = max(
                    accumulators[index].maximums[position], theirs.maximums[position])
                accumulators[index].values[position] += theirs.values[position]
                accumulators[index].distinct[position].formUnion(theirs.distinct[position])
            }
        }
        keptValues += other.keptValues
        guard keptValues <= maxValues else {
            throw QueryExecutor.PipelineError(
                description: "more than \(maxValues) values held for quantiles and distinct counts: narrow the query")
        }
    }

    /// Whether any group key or function reads the message.
    var readsMessage: Bool {
        (by + functions.compactMap(\.field)).contains { ["_msg", "message", "msg"].contains($0) }
    }

    private mutating func keep(_ count: Int = 1) throws(QueryExecutor.PipelineError) {
        keptValues += count
        guard keptValues <= maxValues else {
            throw QueryExecutor.PipelineError(
                description: "more than \(maxValues) values held for quantiles and distinct counts: narrow the query")
        }
    }

    /// Columns: `_time` for a histogram (the bucket's start in ms: `formattingTime` turns it into RFC 3339
    /// once sorted), the `by` fields, then one column per function.
    func table() -> ResultTable {
        var columns = (bucket == nil ? [] : ["_time"]) + by
        columns += functions.map { $0.kind == .count ? "count" : $0.description }
        var rows: [[TableValue]] = []
        rows.reserveCapacity(keys.count)
        for (index, key) in keys.enumerated() {
            var row = key
            let accumulator = accumulators[index]
            for (position, function) in functions.enumerated() {
                let seen = accumulator.counts[position]
                switch function.kind {
                case .count: row.append(.number(Double(accumulator.count)))
                case .sum: row.append(seen == 0 ? .null : .number(accumulator.sums[position]))
                case .avg: row.append(seen == 0 ? .null : .number(accumulator.sums[position] / Double(seen)))
                case .min: row.append(seen == 0 ? .null : .number(accumulator.minimums[position]))
                case .max: row.append(seen == 0 ? .null : .number(accumulator.maximums[position]))
                case .countUniq: row.append(.number(Double(accumulator.distinct[position].count)))
                case .quantile(let fraction):
                    row.append(
                        Self.nearestRank(fraction, of: accumulator.values[position]).map { .number($0) } ?? .null)
                }
            }
            rows.append(row)
        }
        return ResultTable(columns: columns, rows: rows)
    }
}

extension Aggregation {
    /// The quantile by nearest rank: the smallest value with at least `fraction` of the values at or below
    /// it; nil for no values. Found by selection, in linear time: sorting ten million values took a second.
    static func nearestRank(_ fraction: Double, of values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let rank = min(max(1, Int((fraction * Double(values.count)).rounded(.up))), values.count)
        var values = values
        let target = rank - 1
        var low = 0
        var high = values.count - 1
        while low < high {
            // Median of three as the pivot; three-way partition so runs of equal values end the search.
            let middle = low + (high - low) / 2
            let pivot = max(min(values[low], values[middle]), min(max(values[low], values[middle]), values[high]))
            var lessEnd = low
            var scan = low
            var greaterStart = high + 1
            while scan < greaterStart {
                if values[scan] < pivot {
                    values.swapAt(scan, lessEnd)
                    lessEnd += 1
                    scan += 1
                } else if values[scan] > pivot {
                    greaterStart -= 1
                    values.swapAt(scan, greaterStart)
                } else {
                    scan += 1
                }
            }
            if target < lessEnd {
                high = lessEnd - 1
            } else if target >= greaterStart {
                low = greaterStart
            } else {
                return pivot
            }
        }
        return values[target]
    }
}

extension TableValue {
    init(_ value: FieldValue) {
        switch value {
        case .int(let number): self = .number(Double(number))
        case .double(let number): self = .number(number)
        case .string(let text): self = .string(text)
        }
    }
}

extension FieldValue {
    /// The value as a number, as `FieldAccess.number` reads it: text that reads as one counts.
    var number: Double? { numberValue }
}

extension ResultTable {
    /// The first column's millisecond numbers as RFC 3339 text.
    func formattingTime() -> ResultTable {
        var table = self
        for index in table.rows.indices {
            if case .number(let start) = table.rows[index][0] {
                table.rows[index][0] = .string(TimestampFormat.rfc3339(Int64(start) * 1_000_000))
            }
        }
        return table
    }
}
