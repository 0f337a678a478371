// See docs/segment-format.md, "Block payload (versions 1 and 2)": records laid out column by column in
// one compressed payload. Version 3 writes streams instead (`BlockCodec`); these files are still read.

/// Decodes a version 1 or 2 block payload.
enum LegacyBlockCodec {
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
        let timestamps = try reader.readTimestamps(count: count)
        let levels = try reader.readLevels(count: count)
        let services = try reader.readDictionaryColumn(count: count)
        let hosts = try reader.readDictionaryColumn(count: count)
        let sources = try reader.readDictionaryColumn(count: count)
        let messageRanges = try reader.readMessageRanges(count: count)
        let wanted = try BlockCodec.wantedRows(rows, count: count)
        var texts: [String] = []
        texts.reserveCapacity(rows?.count ?? count)
        for (index, range) in messageRanges.enumerated() {
            texts.append(
                wanted[index] && messages
                    ? String(decoding: UnsafeRawBufferPointer(rebasing: payload[range]), as: UTF8.self) : "")
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
        return try reader.readMessageRanges(count: count)
    }
}
