// See docs/segment-format.md, "Block payload": records laid out column by column.

/// Encodes up to `SegmentWriter.Options.recordsPerBlock` records into one block payload and back.
enum BlockCodec {
    static func encode(_ records: ArraySlice<LogRecord>) -> [UInt8] { encodeWithRanges(records).payload }

    /// The payload, and the block's field ranges (the same as `BlockFieldRange.ranges(of:)`, gathered
    /// while the fields are written rather than in a pass of their own).
    static func encodeWithRanges(_ records: ArraySlice<LogRecord>) -> (payload: [UInt8], ranges: [BlockFieldRange]) {
        // Through a buffer pointer and field by field: iterating the slice copied every record (six
        // retains and releases each), the largest cost of this function in a profile.
        records.withUnsafeBufferPointer { records in
            var writer = ByteWriter(reservingCapacity: records.count * 160)
            writer.writeVarint(records.count)

            var previous: Int64 = 0
            for index in records.indices {
                writer.writeSignedVarint(records[index].timestamp &- previous)
                previous = records[index].timestamp
            }
            for index in records.indices { writer.write(records[index].level?.rawValue ?? 0) }
            writeDictionaryColumn(count: records.count, { records[$0].service }, into: &writer)
            writeDictionaryColumn(count: records.count, { records[$0].host }, into: &writer)
            writeDictionaryColumn(count: records.count, { records[$0].source }, into: &writer)
            for index in records.indices { writer.writeVarint(records[index].message.utf8.count) }
            for index in records.indices { writer.write(records[index].message.utf8) }
            let ranges = writeFields(records, into: &writer)
            return (writer.bytes, ranges)
        }
    }

    /// Repeated strings (service, host, source) as a block-local dictionary and one code per record.
    @inline(__always)
    private static func writeDictionaryColumn(
        count: Int, _ valueAt: (Int) -> String, into writer: inout ByteWriter
    ) {
        var codes: [String: Int] = [:]
        var dictionary: [String] = []
        var column: [Int] = []
        column.reserveCapacity(count)
        // Neighbours mostly share a value: compare with the last one before hashing.
        var last: (value: String, code: Int)?
        for index in 0..<count {
            // A closure reading one field: a key path applied to a record copied the whole record.
            let value = valueAt(index)
            if let last, last.value == value {
                column.append(last.code)
            } else if let code = codes[value] {
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
    }

    private static func writeFields(
        _ records: UnsafeBufferPointer<LogRecord>, into writer: inout ByteWriter
    ) -> [BlockFieldRange] {
        var nameCodes: [String: Int] = [:]
        var names: [String] = []
        // Records of one kind carry the same names in the same order: the code of the name at each position
        // in the previous record is tried first, so most names cost one comparison instead of a hash.
        var codesByPosition: [Int] = []
        var fieldCodes: [Int] = []
        fieldCodes.reserveCapacity(records.count * 8)
        for index in records.indices {
            records[index].fields.withUnsafeBufferPointer { fields in
                for position in fields.indices {
                    let name = fields[position].name
                    let code: Int
                    if position < codesByPosition.count, names[codesByPosition[position]] == name {
                        code = codesByPosition[position]
                    } else {
                        if let known = nameCodes[name] {
                            code = known
                        } else {
                            code = names.count
                            nameCodes[name] = code
                            names.append(name)
                        }
                        if position < codesByPosition.count {
                            codesByPosition[position] = code
                        } else {
                            codesByPosition.append(code)
                        }
                    }
                    fieldCodes.append(code)
                }
            }
        }
        writer.writeVarint(names.count)
        for name in names { writer.writeString(name) }
        var bounds = [BlockFieldRange.Bounds](repeating: .init(), count: names.count)
        var next = 0
        for index in records.indices {
            records[index].fields.withUnsafeBufferPointer { fields in
                writer.writeVarint(fields.count)
                for position in fields.indices {
                    let code = fieldCodes[next]
                    writer.writeVarint(code)
                    next += 1
                    writer.writeFieldValue(fields[position].value)
                    bounds[code].add(fields[position].value)
                }
            }
        }
        return names.indices.sorted { names[$0] < names[$1] }.map { bounds[$0].range(of: names[$0]) }
    }

    static func decode(_ payload: UnsafeRawBufferPointer) throws(DecodeError) -> [LogRecord] {
        try decode(payload, rows: nil)
    }

    /// Only the records at `rows` (ascending positions in the block), in that order; every byte is still
    /// checked, but no String is made for the others. Nil decodes them all. With `fields`, only the free
    /// fields of those names are kept (an aggregation reads one or two of a dozen).
    static func decode(
        _ payload: UnsafeRawBufferPointer, rows: [Int]?, messages: Bool = true, fields keptFields: Set<String>? = nil
    ) throws(DecodeError) -> [LogRecord] {
        var reader = ByteReader(payload)
        let count = try reader.readLength()

        var timestamps: [Int64] = []
        timestamps.reserveCapacity(count)
        var previous: Int64 = 0
        for _ in 0..<count {
            previous = previous &+ (try reader.readSignedVarint())
            timestamps.append(previous)
        }
        var levels: [LogLevel?] = []
        levels.reserveCapacity(count)
        for _ in 0..<count { levels.append(try reader.readLevel()) }
        let services = try readDictionaryColumn(count: count, from: &reader)
        let hosts = try readDictionaryColumn(count: count, from: &reader)
        let sources = try readDictionaryColumn(count: count, from: &reader)
        var messageLengths: [Int] = []
        messageLengths.reserveCapacity(count)
        for _ in 0..<count { messageLengths.append(try reader.readLength()) }
        var wanted = [Bool](repeating: rows == nil, count: count)
        for row in rows ?? [] {
            guard row >= 0 && row < count else {
                throw .malformed("row \(row) past the block's \(count) records", at: 0)
            }
            wanted[row] = true
        }
        var texts: [String] = []
        texts.reserveCapacity(rows?.count ?? count)
        for (index, length) in messageLengths.enumerated() {
            let bytes = try reader.readByteSlice(count: length)
            texts.append(wanted[index] && messages ? String(decoding: bytes, as: UTF8.self) : "")
        }

        let nameCount = try reader.readLength()
        var names: [String] = []
        for _ in 0..<nameCount { names.append(try reader.readString()) }
        let keptCodes = names.map { keptFields?.contains($0) ?? true }
        var records: [LogRecord] = []
        records.reserveCapacity(rows?.count ?? count)
        for index in 0..<count {
            let fieldCount = try reader.readLength()
            guard wanted[index] else {
                for _ in 0..<fieldCount {
                    _ = try reader.readIndex(below: names.count, what: "field name code")
                    try reader.skipFieldValue()
                }
                continue
            }
            var fields: [Field] = []
            fields.reserveCapacity(fieldCount)
            for _ in 0..<fieldCount {
                let code = try reader.readIndex(below: names.count, what: "field name code")
                if keptCodes[code] {
                    fields.append(Field(names[code], try reader.readFieldValue()))
                } else {
                    try reader.skipFieldValue()
                }
            }
            records.append(
                LogRecord(
                    timestamp: timestamps[index],
                    level: levels[index],
                    service: services[index],
                    host: hosts[index],
                    source: sources[index],
                    message: texts[index],
                    fields: fields
                )
            )
        }
        guard reader.isAtEnd else { throw .malformed("bytes left after the last column", at: reader.offset) }
        return records
    }

    /// Where each message lies in the payload, skipping the other columns: word and phrase checks read
    /// the bytes in place.
    static func messageRanges(_ payload: UnsafeRawBufferPointer) throws(DecodeError) -> [Range<Int>] {
        var reader = ByteReader(payload)
        let count = try reader.readLength()
        for _ in 0..<count { _ = try reader.readVarint() }
        try reader.skip(count)
        for _ in 0..<3 {
            let dictionarySize = try reader.readLength()
            for _ in 0..<dictionarySize { try reader.skip(try reader.readLength()) }
            for _ in 0..<count { _ = try reader.readVarint() }
        }
        var lengths: [Int] = []
        lengths.reserveCapacity(count)
        for _ in 0..<count { lengths.append(try reader.readLength()) }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(count)
        for length in lengths {
            let start = reader.offset
            try reader.skip(length)
            ranges.append(start..<(start + length))
        }
        return ranges
    }

    private static func readDictionaryColumn(count: Int, from reader: inout ByteReader) throws(DecodeError) -> [String]
    {
        let dictionarySize = try reader.readLength()
        var dictionary: [String] = []
        dictionary.reserveCapacity(dictionarySize)
        for _ in 0..<dictionarySize { dictionary.append(try reader.readString()) }
        var column: [String] = []
        column.reserveCapacity(count)
        for _ in 0..<count {
            let code = try reader.readIndex(below: dictionary.count, what: "dictionary code")
            column.append(dictionary[code])
        }
        return column
    }
}
