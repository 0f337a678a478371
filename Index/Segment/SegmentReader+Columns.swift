/// Some of a block's records seen column by column, for aggregations that need no whole record: the
/// column fields asked for as codes into per-block dictionaries, and the free fields asked for as one
/// value per record. `stats p95(request_time) by (service)` over ten million records makes no String
/// and no `LogRecord`.
public struct BlockColumnSlice: Sendable {
    /// How many records the slice holds (the rows asked for, in their order).
    public var count: Int
    /// Per column field asked for (`level`, `service`, `host`, `source`): the block's values and one code per
    /// record. An empty string is a record without the value (`level` too: its dictionary is every
    /// level's name, indexed by the level's stored number, with "" for none).
    public var columns: [String: DictionaryColumn]
    /// Per free field asked for: the record's first value of that field, nil when it has none.
    public var fields: [String: [FieldValue?]]
    /// Per free field asked for as numbers: the record's first value of that field as a number (a string
    /// that reads as one counts), NaN when it has none or it is no number. Flat Doubles: `stats p95(f)`
    /// over ten million records spent a sixth of its time making and freeing optional enums.
    public var numbers: [String: [Double]] = [:]
}

extension FieldValue {
    /// The value as a number: integers and floats as they are, a string when it reads as a number.
    public var numberValue: Double? {
        switch self {
        case .int(let number): Double(number)
        case .double(let number): number
        case .string(let text): Double(text)
        }
    }
}

extension SegmentReader {
    /// The records at `rows` of block `index` (ascending positions; nil for all), with the column fields
    /// `columns` and the free fields `fields`, verified like `readRecords`. In a version 3 file only the
    /// columns stream and the streams of those fields are read.
    public func readColumns(
        _ index: Int, rows: [Int]?, columns wantedColumns: [String], fields wantedFields: [String],
        numbers wantedNumbers: [String] = []
    ) throws(StorageError) -> BlockColumnSlice {
        guard version >= 3 else {
            let records = try readRecords(
                index, rows: rows ?? Array(0..<blocks[index].recordCount), messages: false,
                fields: Set(wantedFields + wantedNumbers))
            var slice = Self.slice(of: records, columns: wantedColumns, fields: wantedFields)
            for name in wantedNumbers {
                slice.numbers[name] = records.map { record in
                    record.fields.first { $0.name == name }?.value.numberValue ?? .nan
                }
            }
            return slice
        }
        var streams = BlockLoader(segment: self, block: index)
        let columns = try streams.decoding(BlockCodec.columnsStream) { (stream) throws(DecodeError) in
            try BlockCodec.decodeSliceColumns(stream, columns: wantedColumns, version: version)
        }
        try streams.checkStreamCount(
            streamCount(names: columns.names.count, groups: columns.messageGroupCount), names: columns.names.count)
        if let rows, let bad = rows.first(where: { $0 < 0 || $0 >= columns.count }) {
            throw .corruption(
                file: path, offset: blocks[index].offset,
                reason: "row \(bad) asked of block \(index), which holds \(columns.count) records")
        }
        var slice = BlockColumnSlice(count: rows?.count ?? columns.count, columns: [:], fields: [:])
        for (name, column) in columns.columns {
            slice.columns[name] =
                rows.map { DictionaryColumn(dictionary: column.dictionary, codes: $0.map { column.codes[$0] }) }
                ?? column
        }
        // The layout is decoded once, for all the fields read (and not at all when none is in the block).
        var layout: (patterns: [[Int]], recordPatterns: [Int])?
        for (name, asNumbers) in wantedFields.map({ ($0, false) }) + wantedNumbers.map({ ($0, true) }) {
            guard let code = columns.names.firstIndex(of: name) else {
                if asNumbers {
                    slice.numbers[name] = Array(repeating: .nan, count: slice.count)
                } else {
                    slice.fields[name] = Array(repeating: nil, count: slice.count)
                }
                continue
            }
            if layout == nil {
                layout = try streams.decoding(BlockCodec.layoutStream) { (stream) throws(DecodeError) in
                    try BlockCodec.decodeLayout(stream, count: columns.count, nameCount: columns.names.count)
                }
            }
            let counts = BlockCodec.valueCounts(
                of: code, patterns: layout!.patterns, recordPatterns: layout!.recordPatterns)
            if asNumbers {
                slice.numbers[name] = try streams.decoding(BlockCodec.firstFieldStream + code) {
                    (stream) throws(DecodeError) in
                    try BlockCodec.firstNumbers(counts: counts, stream: stream, rows: rows)
                }
            } else {
                slice.fields[name] = try streams.decoding(BlockCodec.firstFieldStream + code) {
                    (stream) throws(DecodeError) in
                    try BlockCodec.firstValues(counts: counts, stream: stream, rows: rows)
                }
            }
        }
        return slice
    }

    /// The slice of records already decoded (a version 1 or 2 block).
    static func slice(of records: [LogRecord], columns: [String], fields: [String]) -> BlockColumnSlice {
        var slice = BlockColumnSlice(count: records.count, columns: [:], fields: [:])
        for name in columns {
            let values: [String] = records.map { record in
                switch name {
                case "level": record.level?.description ?? ""
                case "service": record.service
                case "host": record.host
                default: record.source
                }
            }
            var codes: [String: Int] = [:]
            var dictionary: [String] = []
            let column = values.map { value in
                if let code = codes[value] { return code }
                codes[value] = dictionary.count
                dictionary.append(value)
                return dictionary.count - 1
            }
            slice.columns[name] = DictionaryColumn(dictionary: dictionary, codes: column)
        }
        for name in fields {
            slice.fields[name] = records.map { record in record.fields.first { $0.name == name }?.value }
        }
        return slice
    }
}
