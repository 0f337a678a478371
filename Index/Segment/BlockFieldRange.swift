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

    /// The range of one field's values, gathered value by value.
    struct Bounds {
        var minimum = Double.infinity
        var maximum = -Double.infinity
        var anything = false

        mutating func add(_ value: FieldValue) {
            switch value {
            case .int(let number):
                minimum = min(minimum, Double(number))
                maximum = max(maximum, Double(number))
            case .double(let number) where !number.isNaN:
                minimum = min(minimum, number)
                maximum = max(maximum, number)
            case .double, .string:
                anything = true
            }
        }

        func range(of field: String) -> BlockFieldRange {
            BlockFieldRange(field: field, minimum: minimum, maximum: maximum, mayHoldAnything: anything)
        }
    }

    /// One entry per free field name of `records`, sorted by name.
    static func ranges(of records: ArraySlice<LogRecord>) -> [BlockFieldRange] {
        var found: [String: Bounds] = [:]
        for record in records {
            for field in record.fields { found[field.name, default: Bounds()].add(field.value) }
        }
        return found.keys.sorted().map { found[$0]!.range(of: $0) }
    }

    /// Every block's ranges: the field names once, then per block entries that refer to them, with a
    /// range only for fields that hold numbers there (docs/segment-format.md, "Field ranges").
    static func write(_ blocks: [[BlockFieldRange]], into writer: inout ByteWriter) {
        let names = Set(blocks.joined().map(\.field)).sorted()
        let position = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        writer.writeVarint(names.count)
        for name in names {
            writer.writeVarint(name.utf8.count)
            writer.write(name.utf8)
        }
        for ranges in blocks {
            writer.writeVarint(ranges.count)
            for range in ranges {
                let hasNumbers = range.minimum <= range.maximum
                writer.writeVarint(position[range.field]!)
                writer.write((range.mayHoldAnything ? 1 : 0) | (hasNumbers ? 2 : 0))
                if hasNumbers {
                    writer.writeUInt64(range.minimum.bitPattern)
                    writer.writeUInt64(range.maximum.bitPattern)
                }
            }
        }
    }

    static func read(blockCount: Int, from reader: inout ByteReader) throws(DecodeError) -> [[BlockFieldRange]] {
        let nameCount = try reader.readLength()
        var names: [String] = []
        names.reserveCapacity(nameCount)
        for _ in 0..<nameCount { names.append(try reader.readString()) }
        var blocks: [[BlockFieldRange]] = []
        blocks.reserveCapacity(blockCount)
        for _ in 0..<blockCount {
            let count = try reader.readLength()
            var ranges: [BlockFieldRange] = []
            ranges.reserveCapacity(count)
            for _ in 0..<count {
                // An index into `names`, not a length: bounded by the names, not by the bytes left.
                let name = try reader.readVarint()
                let flags = try reader.readUInt8()
                guard name < UInt64(names.count), flags <= 3 else {
                    throw DecodeError.malformed("field range entry", at: reader.offset)
                }
                var (minimum, maximum) = (Double.infinity, -Double.infinity)
                if flags & 2 != 0 {
                    minimum = Double(bitPattern: try reader.readUInt64())
                    maximum = Double(bitPattern: try reader.readUInt64())
                }
                ranges.append(
                    BlockFieldRange(
                        field: names[Int(name)], minimum: minimum, maximum: maximum, mayHoldAnything: flags & 1 != 0))
            }
            blocks.append(ranges)
        }
        return blocks
    }
}
