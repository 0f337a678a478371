// See docs/segment-format.md, "Block streams" (versions 3 and 4).

/// Encodes up to `SegmentWriter.Options.recordsPerBlock` records into a block's streams and back: the
/// columns (times, levels, service, host, source, and which fields each record holds), the messages, and
/// one stream per field name. Each stream is compressed and checksummed alone, so a query reads only the
/// streams it needs: `stats p95(request_time)` decompresses two small streams, not every message.
enum BlockCodec {
    static let columnsStream = 0
    /// Version 3: every message of the block. Version 4: the map of message groups, whose streams follow
    /// the field streams (see `MessageGroups`); version 5: two streams per group, heads and rests (see
    /// `HeadsAndRests`).
    static let messagesStream = 1
    /// Which fields each record holds, in its order: only a whole record needs it.
    static let layoutStream = 2
    /// The stream of the field whose name has code `c` in the block is `firstFieldStream + c`.
    static let firstFieldStream = 3

    struct Encoded {
        var streams: [[UInt8]]
        var ranges: [BlockFieldRange]
    }

    /// The streams, and the block's field ranges (the same as `BlockFieldRange.ranges(of:)`, gathered
    /// while the fields are written rather than in a pass of their own).
    static func encode(_ records: ArraySlice<LogRecord>, messageGroupBytes: Int) -> Encoded {
        // Through a buffer pointer and field by field: iterating the slice copied every record (six
        // retains and releases each), the largest cost of the old block encoder in a profile.
        records.withUnsafeBufferPointer { records in
            var columns = ByteWriter(reservingCapacity: records.count * 24)
            columns.writeVarint(records.count)
            var previous: Int64 = 0
            for index in records.indices {
                columns.writeSignedVarint(records[index].timestamp &- previous)
                previous = records[index].timestamp
            }
            var levels: [Int] = []
            levels.reserveCapacity(records.count)
            for index in records.indices {
                let level = records[index].level?.rawValue ?? 0
                columns.write(level)
                levels.append(Int(level))
            }
            let services = writeDictionaryColumn(count: records.count, { records[$0].service }, into: &columns)
            writeDictionaryColumn(count: records.count, { records[$0].host }, into: &columns)
            writeDictionaryColumn(count: records.count, { records[$0].source }, into: &columns)

            var layout = ByteWriter(reservingCapacity: records.count * 10)
            let (fieldStreams, ranges) = writeFields(records, namesInto: &columns, layoutInto: &layout)

            let groups = MessageGroups(
                services: services.codes, serviceCount: services.dictionarySize, levels: levels,
                messageBytes: records.indices.map { records[$0].message.utf8.count }, minimumBytes: messageGroupBytes)
            columns.writeVarint(groups.groupCount)
            let messageStreams = MessageGroups.headAndRestStreams(
                groups.members(services: services.codes, levels: levels), of: records)
            return Encoded(
                streams: [columns.bytes, groups.encoded(), layout.bytes] + fieldStreams + messageStreams,
                ranges: ranges)
        }
    }

    /// Up to this many distinct values (or field layouts) are looked up by comparing each in turn.
    private static let linearSearchLimit = 16
    /// Field names are compared length first (`isSameText`), which is cheaper than hashing for many more:
    /// a block of a Spring Boot log holds some 30 names.
    private static let linearNameSearchLimit = 64

    /// Repeated strings (service, host, source) as a block-local dictionary and one code per record.
    @inline(__always) @discardableResult
    private static func writeDictionaryColumn(
        count: Int, _ valueAt: (Int) -> String, into writer: inout ByteWriter
    ) -> (codes: [Int], dictionarySize: Int) {
        var codes: [String: Int] = [:]
        var dictionary: [String] = []
        var column: [Int] = []
        column.reserveCapacity(count)
        // Neighbours mostly share a value: compare with the last one before hashing. A block holds a
        // handful of services and hosts, interleaved: while there are few, they are compared in a row
        // (short strings compare as two words), as hashing each record's value (SipHash) was a quarter of
        // the block encoding in a profile.
        var last: (value: String, code: Int)?
        for index in 0..<count {
            // A closure reading one field: a key path applied to a record copied the whole record.
            let value = valueAt(index)
            if let last, last.value == value {
                column.append(last.code)
            } else if dictionary.count <= Self.linearSearchLimit, let code = dictionary.firstIndex(of: value) {
                column.append(code)
                last = (value, code)
            } else if dictionary.count > Self.linearSearchLimit, let code = codes[value] {
                column.append(code)
                last = (value, code)
            } else {
                codes[value] = dictionary.count
                last = (value, dictionary.count)
                column.append(dictionary.count)
                dictionary.append(value)
            }
        }
        writer.writeVarint(dictionary.count)
        for value in dictionary { writer.writeString(value) }
        for code in column { writer.writeVarint(code) }
        return (column, dictionary.count)
    }

    /// Writes the field names into the columns and the records' layout as patterns (see below), and
    /// returns one stream of values per name with the block's field ranges.
    private static func writeFields(
        _ records: UnsafeBufferPointer<LogRecord>, namesInto columns: inout ByteWriter,
        layoutInto layout: inout ByteWriter
    ) -> (streams: [[UInt8]], ranges: [BlockFieldRange]) {
        var nameCodes: [String: Int] = [:]
        var names: [String] = []
        var streams: [ByteWriter] = []
        var bounds: [BlockFieldRange.Bounds] = []
        // Records of one kind carry the same names in the same order: the code of the name at each position
        // in the previous record is tried first, so most names cost one comparison instead of a hash.
        var codesByPosition: [Int] = []
        var fieldCodes: [Int] = []
        fieldCodes.reserveCapacity(records.count * 8)
        // The layout as patterns: records of one kind hold the same names in the same order, so each
        // record is one pattern number, and a reader of one field learns from a handful of patterns which
        // records hold it.
        var patternNumbers: [[Int]: Int] = [:]
        var patterns: [[Int]] = []
        var recordPatterns: [Int] = []
        recordPatterns.reserveCapacity(records.count)
        // One pass over each record's fields (names, values and bounds together): a second pass touched
        // every record's field array again, out of cache.
        for index in records.indices {
            records[index].fields.withUnsafeBufferPointer { fields in
                let first = fieldCodes.count
                for position in fields.indices {
                    let name = fields[position].name
                    let code: Int
                    if position < codesByPosition.count, names[codesByPosition[position]].isSameText(as: name) {
                        code = codesByPosition[position]
                    } else {
                        // Records whose optional fields differ shift the positions: a block's few names are
                        // compared in turn before any is hashed (hashing was a fifth of this function).
                        let known =
                            names.count <= Self.linearNameSearchLimit
                            ? names.firstIndex { $0.isSameText(as: name) } : nameCodes[name]
                        if let known {
                            code = known
                        } else {
                            code = names.count
                            nameCodes[name] = code
                            names.append(name)
                            streams.append(ByteWriter())
                            bounds.append(BlockFieldRange.Bounds())
                        }
                        if position < codesByPosition.count {
                            codesByPosition[position] = code
                        } else {
                            codesByPosition.append(code)
                        }
                    }
                    fieldCodes.append(code)
                    streams[code].writeFieldValue(fields[position].value)
                    bounds[code].add(fields[position].value)
                }
                let codes = fieldCodes[first...]
                // Most records repeat the previous record's pattern: compared in place, no array made.
                if let previous = recordPatterns.last, patterns[previous].elementsEqual(codes) {
                    recordPatterns.append(previous)
                } else if patterns.count <= Self.linearSearchLimit,
                    let known = patterns.firstIndex(where: { $0.elementsEqual(codes) })
                {
                    recordPatterns.append(known)
                } else if patterns.count > Self.linearSearchLimit, let known = patternNumbers[Array(codes)] {
                    recordPatterns.append(known)
                } else {
                    patternNumbers[Array(codes)] = patterns.count
                    recordPatterns.append(patterns.count)
                    patterns.append(Array(codes))
                }
            }
        }
        columns.writeVarint(names.count)
        for name in names { columns.writeString(name) }
        layout.writeVarint(patterns.count)
        for pattern in patterns {
            layout.writeVarint(pattern.count)
            for code in pattern { layout.writeVarint(code) }
        }
        for pattern in recordPatterns { layout.writeVarint(pattern) }
        let ranges = names.indices.sorted { names[$0] < names[$1] }.map { bounds[$0].range(of: names[$0]) }
        return (streams.map(\.bytes), ranges)
    }

    /// A layout stream: its patterns (name codes below `nameCount`) and each record's pattern number.
    static func decodeLayout(
        _ layout: UnsafeRawBufferPointer, count: Int, nameCount: Int
    ) throws(DecodeError) -> (patterns: [[Int]], recordPatterns: [Int]) {
        var reader = ByteReader(layout)
        let patternCount = try reader.readLength()
        var patterns: [[Int]] = []
        patterns.reserveCapacity(patternCount)
        for _ in 0..<patternCount {
            let length = try reader.readLength()
            var pattern: [Int] = []
            pattern.reserveCapacity(length)
            for _ in 0..<length { pattern.append(try reader.readIndex(below: nameCount, what: "field name code")) }
            patterns.append(pattern)
        }
        var recordPatterns: [Int] = []
        recordPatterns.reserveCapacity(count)
        for _ in 0..<count { recordPatterns.append(try reader.readIndex(below: patternCount, what: "layout pattern")) }
        guard reader.isAtEnd else { throw .malformed("bytes left after the field layout", at: reader.offset) }
        return (patterns, recordPatterns)
    }

    /// The columns stream decoded: everything about a block's records but their messages and field values.
    struct Columns {
        var count: Int
        var timestamps: [Int64]
        var levels: [LogLevel?]
        var services: DictionaryColumn
        var hosts: DictionaryColumn
        var sources: DictionaryColumn
        var names: [String]
        /// Per record, the end of its codes in `fieldCodes` (its start is the previous record's end).
        var fieldEnds: [Int]
        /// Every record's field name codes, in record order and each record's field order.
        var fieldCodes: [Int]
        /// How many message groups the block stores (version 4; 0 before).
        var messageGroupCount: Int
    }

    /// The columns stream and the layout stream decoded together.
    static func decodeColumns(
        _ stream: UnsafeRawBufferPointer, layout: UnsafeRawBufferPointer, version: UInt32
    ) throws(DecodeError) -> Columns {
        var reader = ByteReader(stream)
        let count = try reader.readLength()
        let timestamps = try reader.readTimestamps(count: count)
        let levels = try reader.readLevels(count: count)
        let services = try reader.readDictionaryCodes(count: count)
        let hosts = try reader.readDictionaryCodes(count: count)
        let sources = try reader.readDictionaryCodes(count: count)
        let nameCount = try reader.readLength()
        var names: [String] = []
        names.reserveCapacity(nameCount)
        for _ in 0..<nameCount { names.append(try reader.readString()) }
        let groupCount = try reader.readMessageGroupCount(version: version, recordCount: count)
        guard reader.isAtEnd else { throw .malformed("bytes left after the columns", at: reader.offset) }
        let (patterns, recordPatterns) = try decodeLayout(layout, count: count, nameCount: nameCount)
        var fieldEnds: [Int] = []
        fieldEnds.reserveCapacity(count)
        var fieldCodes: [Int] = []
        fieldCodes.reserveCapacity(count * 8)
        for pattern in recordPatterns {
            fieldCodes.append(contentsOf: patterns[pattern])
            fieldEnds.append(fieldCodes.count)
        }
        return Columns(
            count: count, timestamps: timestamps, levels: levels, services: services, hosts: hosts, sources: sources,
            names: names, fieldEnds: fieldEnds, fieldCodes: fieldCodes, messageGroupCount: groupCount)
    }

    /// Per record of a block of `count`, whether it is among `rows` (all when nil).
    static func wantedRows(_ rows: [Int]?, count: Int) throws(DecodeError) -> [Bool] {
        var wanted = [Bool](repeating: rows == nil, count: count)
        for row in rows ?? [] {
            guard row >= 0 && row < count else {
                throw .malformed("row \(row) past the block's \(count) records", at: 0)
            }
            wanted[row] = true
        }
        return wanted
    }

    /// Where each of the block's `count` messages lies in the messages stream.
    static func messageRanges(_ stream: UnsafeRawBufferPointer, count: Int) throws(DecodeError) -> [Range<Int>] {
        var reader = ByteReader(stream)
        let ranges = try reader.readMessageRanges(count: count)
        guard reader.isAtEnd else { throw .malformed("bytes left after the last message", at: reader.offset) }
        return ranges
    }

    /// The records at `rows` (ascending positions in the block; nil for all), in that order. `messages`
    /// holds each record's message bytes (those of the rows at least; nil leaves every message empty);
    /// `fieldStreams[c]` is the stream of name code `c`, nil for a field not wanted. Every stream given is
    /// checked to its end.
    static func records(
        _ columns: Columns, rows: [Int]?, messages: [UnsafeRawBufferPointer]?, fieldStreams: [UnsafeRawBufferPointer?]
    ) throws(DecodeError) -> [LogRecord] {
        let count = columns.count
        guard fieldStreams.count == columns.names.count else {
            throw .malformed("\(fieldStreams.count) field streams for \(columns.names.count) names", at: 0)
        }
        let wanted = try BlockCodec.wantedRows(rows, count: count)
        var texts: [String] = []
        if let messages {
            guard messages.count == count else {
                throw .malformed("\(messages.count) messages for \(count) records", at: 0)
            }
            texts.reserveCapacity(count)
            for index in 0..<count {
                texts.append(wanted[index] ? String(decoding: messages[index], as: UTF8.self) : "")
            }
        }
        var readers = fieldStreams.map { $0.map { ByteReader($0) } }
        var records: [LogRecord] = []
        records.reserveCapacity(rows?.count ?? count)
        var start = 0
        for index in 0..<count {
            let end = columns.fieldEnds[index]
            defer { start = end }
            guard wanted[index] else {
                for position in start..<end where readers[columns.fieldCodes[position]] != nil {
                    try readers[columns.fieldCodes[position]]!.skipFieldValue()
                }
                continue
            }
            var fields: [Field] = []
            fields.reserveCapacity(end - start)
            for position in start..<end {
                let code = columns.fieldCodes[position]
                guard readers[code] != nil else { continue }
                fields.append(Field(columns.names[code], try readers[code]!.readFieldValue()))
            }
            records.append(
                LogRecord(
                    timestamp: columns.timestamps[index], level: columns.levels[index],
                    service: columns.services[row: index], host: columns.hosts[row: index],
                    source: columns.sources[row: index],
                    message: texts.isEmpty ? "" : texts[index], fields: fields))
        }
        for (code, reader) in readers.enumerated() where reader?.isAtEnd == false {
            throw .malformed("bytes left in the values of field \(columns.names[code])", at: reader!.offset)
        }
        return records
    }
}

/// A block's dictionary-coded column: its distinct values and one code per record.
public struct DictionaryColumn: Sendable {
    public var dictionary: [String]
    public var codes: [Int]

    public init(dictionary: [String], codes: [Int]) {
        self.dictionary = dictionary
        self.codes = codes
    }

    subscript(row row: Int) -> String { dictionary[codes[row]] }
}

extension BlockCodec {
    /// The part of the columns stream an aggregation reads: the dictionary columns it groups by, and the
    /// field names.
    struct SliceColumns {
        var count: Int
        /// Per wanted column field (`level`, `service`, `host`, `source`), its column.
        var columns: [String: DictionaryColumn]
        var names: [String]
        /// How many message groups the block stores (version 4; 0 before).
        var messageGroupCount = 0
    }

    /// Decodes only what `SliceColumns` holds, skipping the rest of the columns stream (times, unread
    /// columns) without storing it, and not reading the layout: the whole decode was a third of a `stats`
    /// over ten million records. Checks the stream to its end like `decodeColumns`.
    static func decodeSliceColumns(
        _ stream: UnsafeRawBufferPointer, columns wantedColumns: [String], version: UInt32
    ) throws(DecodeError) -> SliceColumns {
        var reader = ByteReader(stream)
        let count = try reader.readLength()
        try reader.skipVarints(count)
        var slice = SliceColumns(count: count, columns: [:], names: [])
        // Levels are one byte each, 0 (none) to 6: read as codes into `levelNames`.
        let levels = try reader.readCodes(count: count, below: levelNames.count, what: "level")
        if wantedColumns.contains("level") {
            slice.columns["level"] = DictionaryColumn(dictionary: levelNames, codes: levels)
        }
        for name in ["service", "host", "source"] {
            if wantedColumns.contains(name) {
                slice.columns[name] = try reader.readDictionaryCodes(count: count)
            } else {
                // Skipped, not checked code by code: the stream's checksum covers them, and a whole read
                // (`decodeColumns`, fsck) still checks every code.
                _ = try reader.skipStrings()
                try reader.skipVarints(count)
            }
        }
        let nameCount = try reader.readLength()
        slice.names.reserveCapacity(nameCount)
        for _ in 0..<nameCount { slice.names.append(try reader.readString()) }
        slice.messageGroupCount = try reader.readMessageGroupCount(version: version, recordCount: count)
        guard reader.isAtEnd else { throw .malformed("bytes left after the columns", at: reader.offset) }
        return slice
    }

    /// What a reader of some records' messages needs from a version 4 block's columns stream: each
    /// record's service code and level number, and the numbers of services, field names and message
    /// groups. Makes no String (dictionaries and names are stepped over) and checks the stream to its end.
    struct MessageKeys {
        var services: [Int]
        var serviceCount: Int
        var levels: [Int]
        var nameCount: Int
        var groupCount: Int
    }

    static func decodeMessageKeys(_ stream: UnsafeRawBufferPointer, version: UInt32) throws(DecodeError) -> MessageKeys
    {
        var reader = ByteReader(stream)
        let count = try reader.readLength()
        try reader.skipVarints(count)
        let levels = try reader.readCodes(count: count, below: levelNames.count, what: "level")
        let serviceCount = try reader.skipStrings()
        let services = try reader.readCodes(count: count, below: serviceCount, what: "dictionary code")
        for _ in 0..<2 {
            _ = try reader.skipStrings()
            try reader.skipVarints(count)
        }
        let nameCount = try reader.skipStrings()
        let groupCount = try reader.readMessageGroupCount(version: version, recordCount: count)
        guard reader.isAtEnd else { throw .malformed("bytes left after the columns", at: reader.offset) }
        return MessageKeys(
            services: services, serviceCount: serviceCount, levels: levels, nameCount: nameCount, groupCount: groupCount
        )
    }

    /// The level column's dictionary: each level's name at its stored number, "" at 0 (none).
    static let levelNames: [String] = (0...6).map { LogLevel(rawValue: UInt8($0))?.description ?? "" }

    /// Per record, how many values it holds of the field with name code `code`, from the layout's patterns.
    static func valueCounts(of code: Int, patterns: [[Int]], recordPatterns: [Int]) -> [Int] {
        let perPattern = patterns.map { pattern in pattern.reduce(0) { $0 + ($1 == code ? 1 : 0) } }
        return recordPatterns.map { perPattern[$0] }
    }

    /// For each of `rows` (all when nil), the record's first value of a field whose number of values per
    /// record is `counts`, read from the field's stream (checked to its end); nil for a record without one.
    static func firstValues(
        counts: [Int], stream: UnsafeRawBufferPointer, rows: [Int]?
    ) throws(DecodeError) -> [FieldValue?] {
        try firstValues(counts: counts, stream: stream, rows: rows, absent: nil) {
            (reader) throws(DecodeError) in try reader.readFieldValue()
        }
    }

    /// `firstValues` as numbers (`FieldValue.numberValue`), NaN for a record without one.
    static func firstNumbers(
        counts: [Int], stream: UnsafeRawBufferPointer, rows: [Int]?
    ) throws(DecodeError) -> [Double] {
        try firstValues(counts: counts, stream: stream, rows: rows, absent: .nan) {
            (reader) throws(DecodeError) in try reader.readNumberValue()
        }
    }

    /// Each record's first value read by `read` (the rest skipped), `absent` for a record without one.
    private static func firstValues<Value>(
        counts: [Int], stream: UnsafeRawBufferPointer, rows: [Int]?, absent: Value,
        read: (inout ByteReader) throws(DecodeError) -> Value
    ) throws(DecodeError) -> [Value] {
        var reader = ByteReader(stream)
        var first = [Value](repeating: absent, count: counts.count)
        for (record, held) in counts.enumerated() where held > 0 {
            first[record] = try read(&reader)
            for _ in 1..<held { try reader.skipFieldValue() }
        }
        guard reader.isAtEnd else { throw .malformed("bytes left in a field's values", at: reader.offset) }
        return rows.map { $0.map { first[$0] } } ?? first
    }
}

extension ByteReader {
    /// A field value as a number without making a `FieldValue`: NaN for a string that is no number.
    mutating func readNumberValue() throws(DecodeError) -> Double {
        let tag = try readUInt8()
        switch FieldTypeTag(rawValue: tag) {
        case .int: return Double(try readSignedVarint())
        case .double: return Double(bitPattern: try readUInt64())
        case .string: return Double(try readString()) ?? .nan
        case nil: throw .malformed("unknown field type \(tag)", at: offset - 1)
        }
    }

    /// `count` timestamps, each the difference from the previous one (the first from 0).
    mutating func readTimestamps(count: Int) throws(DecodeError) -> [Int64] {
        var timestamps: [Int64] = []
        timestamps.reserveCapacity(count)
        var previous: Int64 = 0
        for _ in 0..<count {
            previous = previous &+ (try readSignedVarint())
            timestamps.append(previous)
        }
        return timestamps
    }

    mutating func readLevels(count: Int) throws(DecodeError) -> [LogLevel?] {
        var levels: [LogLevel?] = []
        levels.reserveCapacity(count)
        for _ in 0..<count { levels.append(try readLevel()) }
        return levels
    }

    /// A version 4 block's number of message groups (at most one per record; 0 before version 4).
    mutating func readMessageGroupCount(version: UInt32, recordCount: Int) throws(DecodeError) -> Int {
        guard version >= 4 else { return 0 }
        let groups = try readIndex(below: recordCount + 1, what: "message group count")
        guard groups > 0 || recordCount == 0 else { throw .malformed("no message group for the records", at: offset) }
        return groups
    }

    /// `count` message lengths, then the messages one after the other: where each lies.
    mutating func readMessageRanges(count: Int) throws(DecodeError) -> [Range<Int>] {
        var lengths: [Int] = []
        lengths.reserveCapacity(count)
        for _ in 0..<count { lengths.append(try readLength()) }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(count)
        for length in lengths {
            let start = offset
            try skip(length)
            ranges.append(start..<(start + length))
        }
        return ranges
    }

    /// A dictionary-coded column of `count` values: the dictionary, then one code per record.
    mutating func readDictionaryCodes(count: Int) throws(DecodeError) -> DictionaryColumn {
        let dictionarySize = try readLength()
        var dictionary: [String] = []
        dictionary.reserveCapacity(dictionarySize)
        for _ in 0..<dictionarySize { dictionary.append(try readString()) }
        let codes = try readCodes(count: count, below: dictionary.count, what: "dictionary code")
        return DictionaryColumn(dictionary: dictionary, codes: codes)
    }

    /// The same column with one String per record.
    mutating func readDictionaryColumn(count: Int) throws(DecodeError) -> [String] {
        let column = try readDictionaryCodes(count: count)
        return column.codes.map { column.dictionary[$0] }
    }
}
