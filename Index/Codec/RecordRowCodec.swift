// See docs/wal-format.md: the row encoding of one record inside a WAL frame.

enum FieldTypeTag: UInt8 {
    case string = 0
    case int = 1
    case double = 2
}

extension ByteWriter {
    mutating func writeFieldValue(_ value: FieldValue) {
        switch value {
        case .string(let text):
            write(FieldTypeTag.string.rawValue)
            writeString(text)
        case .int(let number):
            write(FieldTypeTag.int.rawValue)
            writeSignedVarint(number)
        case .double(let number):
            write(FieldTypeTag.double.rawValue)
            writeUInt64(number.bitPattern)
        }
    }

    /// The row is encoded into a temporary buffer and appended in one copy: appending it field by field
    /// checked the array's capacity and uniqueness for every byte, a half of the WAL's encoding.
    mutating func writeRecordRow(_ record: LogRecord) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: RowEncoder.maxBytes(of: record)) { buffer in
            var row = RowEncoder(buffer.baseAddress!)
            row.writeSignedVarint(record.timestamp)
            row.write(record.level?.rawValue ?? 0)
            row.writeString(record.service)
            row.writeString(record.host)
            row.writeString(record.source)
            row.writeString(record.message)
            row.writeVarint(UInt64(record.fields.count))
            record.fields.withUnsafeBufferPointer { fields in
                for index in fields.indices {
                    row.writeString(fields[index].name)
                    switch fields[index].value {
                    case .string(let text):
                        row.write(FieldTypeTag.string.rawValue)
                        row.writeString(text)
                    case .int(let number):
                        row.write(FieldTypeTag.int.rawValue)
                        row.writeSignedVarint(number)
                    case .double(let number):
                        row.write(FieldTypeTag.double.rawValue)
                        row.writeUInt64(number.bitPattern)
                    }
                }
            }
            write(UnsafeBufferPointer(start: buffer.baseAddress, count: row.count))
        }
    }
}

/// The same encodings as `ByteWriter`, into memory the caller sized with `maxBytes(of:)`.
private struct RowEncoder {
    private let start: UnsafeMutablePointer<UInt8>
    private(set) var count = 0

    init(_ start: UnsafeMutablePointer<UInt8>) { self.start = start }

    /// A bound on the row's length: every varint at its longest (10 bytes).
    static func maxBytes(of record: LogRecord) -> Int {
        var bound = 10 + 1 + 4 * 10 + 10
        bound += record.service.utf8.count + record.host.utf8.count + record.source.utf8.count
        bound += record.message.utf8.count
        record.fields.withUnsafeBufferPointer { fields in
            for index in fields.indices {
                bound += 10 + fields[index].name.utf8.count + 1
                if case .string(let text) = fields[index].value { bound += 10 + text.utf8.count } else { bound += 10 }
            }
        }
        return bound
    }

    mutating func write(_ byte: UInt8) {
        start[count] = byte
        count += 1
    }

    mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            write(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        write(UInt8(remaining))
    }

    mutating func writeSignedVarint(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func writeUInt64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) {
            UnsafeMutableRawPointer(start + count).copyMemory(from: $0.baseAddress!, byteCount: 8)
        }
        count += 8
    }

    mutating func writeString(_ text: String) {
        text.withUTF8Bytes { utf8 in
            writeVarint(UInt64(utf8.count))
            if let base = utf8.baseAddress { (start + count).update(from: base, count: utf8.count) }
            count += utf8.count
        }
    }
}

extension ByteReader {
    mutating func readLevel() throws(DecodeError) -> LogLevel? {
        let raw = try readUInt8()
        guard raw == 0 || LogLevel(rawValue: raw) != nil else {
            throw .malformed("unknown level \(raw)", at: offset - 1)
        }
        return LogLevel(rawValue: raw)
    }

    mutating func readFieldValue() throws(DecodeError) -> FieldValue {
        let tag = try readUInt8()
        switch FieldTypeTag(rawValue: tag) {
        case .string: return .string(try readString())
        case .int: return .int(try readSignedVarint())
        case .double: return .double(Double(bitPattern: try readUInt64()))
        case nil: throw .malformed("unknown field type \(tag)", at: offset - 1)
        }
    }

    mutating func skipFieldValue() throws(DecodeError) {
        let tag = try readUInt8()
        switch FieldTypeTag(rawValue: tag) {
        case .string: try skip(try readLength())
        case .int: _ = try readVarint()
        case .double: try skip(8)
        case nil: throw .malformed("unknown field type \(tag)", at: offset - 1)
        }
    }

    mutating func readRecordRow() throws(DecodeError) -> LogRecord {
        let timestamp = try readSignedVarint()
        let level = try readLevel()
        let service = try readString()
        let host = try readString()
        let source = try readString()
        let message = try readString()
        let fieldCount = try readLength()
        var fields: [Field] = []
        fields.reserveCapacity(fieldCount)
        for _ in 0..<fieldCount {
            let name = try readString()
            fields.append(Field(name, try readFieldValue()))
        }
        return LogRecord(
            timestamp: timestamp,
            level: level,
            service: service,
            host: host,
            source: source,
            message: message,
            fields: fields
        )
    }
}
