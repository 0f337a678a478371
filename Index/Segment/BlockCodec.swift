// See docs/segment-format.md, "Block payload": records laid out column by column.

/// Encodes up to `SegmentWriter.Options.recordsPerBlock` records into one block payload and back.
enum BlockCodec {
    static func encode(_ records: ArraySlice<LogRecord>) -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: records.count * 160)
        writer.writeVarint(records.count)

        var previous: Int64 = 0
        for record in records {
            writer.writeSignedVarint(record.timestamp &- previous)
            previous = record.timestamp
        }
        for record in records { writer.write(record.level?.rawValue ?? 0) }
        for column in [\LogRecord.service, \LogRecord.host, \LogRecord.source] {
            writeDictionaryColumn(records.map { $0[keyPath: column] }, into: &writer)
        }
        for record in records { writer.writeVarint(record.message.utf8.count) }
        for record in records { writer.write(record.message.utf8) }
        writeFields(records, into: &writer)
        return writer.bytes
    }

    /// Repeated strings (service, host, source) as a block-local dictionary and one code per record.
    private static func writeDictionaryColumn(_ values: [String], into writer: inout ByteWriter) {
        var codes: [String: Int] = [:]
        var dictionary: [String] = []
        var column: [Int] = []
        column.reserveCapacity(values.count)
        for value in values {
            if let code = codes[value] {
                column.append(code)
            } else {
                codes[value] = dictionary.count
                column.append(dictionary.count)
                dictionary.append(value)
            }
        }
        writer.writeVarint(dictionary.count)
        for value in dictionary { writer.writeString(value) }
        for code in column { writer.writeVarint(code) }
    }

    private static func writeFields(_ records: ArraySlice<LogRecord>, into writer: inout ByteWriter) {
        var nameCodes: [String: Int] = [:]
        var names: [String] = []
        for record in records {
            for field in record.fields where nameCodes[field.name] == nil {
                nameCodes[field.name] = names.count
                names.append(field.name)
            }
        }
        writer.writeVarint(names.count)
        for name in names { writer.writeString(name) }
        for record in records {
            writer.writeVarint(record.fields.count)
            for field in record.fields {
                writer.writeVarint(nameCodes[field.name]!)
                writer.writeFieldValue(field.value)
            }
        }
    }

    static func decode(_ payload: UnsafeRawBufferPointer) throws(DecodeError) -> [LogRecord] {
        try decode(payload, rows: nil)
    }

    /// Only the records at `rows` (ascending positions in the block), in that order; every byte is still
    /// checked, but no String is made for the others. Nil decodes them all.
    static func decode(
        _ payload: UnsafeRawBufferPointer, rows: [Int]?, messages: Bool = true
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
                fields.append(Field(names[code], try reader.readFieldValue()))
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
