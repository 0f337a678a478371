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

    mutating func writeRecordRow(_ record: LogRecord) {
        writeSignedVarint(record.timestamp)
        write(record.level?.rawValue ?? 0)
        writeString(record.service)
        writeString(record.host)
        writeString(record.source)
        writeString(record.message)
        writeVarint(record.fields.count)
        record.fields.withUnsafeBufferPointer { fields in
            for index in fields.indices {
                writeString(fields[index].name)
                writeFieldValue(fields[index].value)
            }
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
