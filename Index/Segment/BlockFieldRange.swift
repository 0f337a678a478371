// See docs/segment-format.md, "Field ranges" (format version 2).

/// The numbers one free field holds in one block: a numeric comparison (`duration_ms:>1000`) skips the
/// blocks whose range it misses, and the blocks that do not hold the field at all.
public struct BlockFieldRange: Sendable, Equatable {
    public let field: String
    /// The smallest and largest integer or float value; +∞ and −∞ when the field only holds text.
    public let minimum: Double
    public let maximum: Double
    /// Some value is text (which a comparison may read as a number, `"1584ms"`) or NaN: a comparison
    /// then never skips the block for this field.
    public let mayHoldAnything: Bool

    /// Whether some number in `minimum...maximum`, times `scale` (> 0), may lie between the bounds.
    public func mayHold(
        scaledBy scale: Double, lower: Double?, lowerInclusive: Bool, upper: Double?, upperInclusive: Bool
    ) -> Bool {
        if mayHoldAnything { return true }
        guard minimum <= maximum else { return false }
        let (low, high) = (minimum * scale, maximum * scale)
        if let lower, lowerInclusive ? high < lower : high <= lower { return false }
        if let upper, upperInclusive ? low > upper : low >= upper { return false }
        return true
    }

    /// One entry per free field name of `records`, sorted by name.
    static func ranges(of records: ArraySlice<LogRecord>) -> [BlockFieldRange] {
        var found: [String: (minimum: Double, maximum: Double, anything: Bool)] = [:]
        for record in records {
            for field in record.fields {
                var entry = found[field.name] ?? (.infinity, -.infinity, false)
                switch field.value {
                case .int(let number):
                    entry.minimum = min(entry.minimum, Double(number))
                    entry.maximum = max(entry.maximum, Double(number))
                case .double(let number) where !number.isNaN:
                    entry.minimum = min(entry.minimum, number)
                    entry.maximum = max(entry.maximum, number)
                case .double, .string:
                    entry.anything = true
                }
                found[field.name] = entry
            }
        }
        return found.keys.sorted().map { name in
            let entry = found[name]!
            return BlockFieldRange(
                field: name, minimum: entry.minimum, maximum: entry.maximum, mayHoldAnything: entry.anything)
        }
    }

    static func write(_ ranges: [BlockFieldRange], into writer: inout ByteWriter) {
        writer.writeVarint(ranges.count)
        for range in ranges {
            writer.writeVarint(range.field.utf8.count)
            writer.write(range.field.utf8)
            writer.write(range.mayHoldAnything ? 1 : 0)
            writer.writeUInt64(range.minimum.bitPattern)
            writer.writeUInt64(range.maximum.bitPattern)
        }
    }

    static func read(from reader: inout ByteReader) throws(DecodeError) -> [BlockFieldRange] {
        let count = try reader.readLength()
        var ranges: [BlockFieldRange] = []
        ranges.reserveCapacity(count)
        for _ in 0..<count {
            let field = try reader.readString()
            let flags = try reader.readUInt8()
            guard flags <= 1 else { throw DecodeError.malformed("field range flags", at: reader.offset) }
            ranges.append(
                BlockFieldRange(
                    field: field, minimum: Double(bitPattern: try reader.readUInt64()),
                    maximum: Double(bitPattern: try reader.readUInt64()), mayHoldAnything: flags == 1))
        }
        return ranges
    }
}
