import Foundation
import Testing

@testable import LogqIndex

/// `readColumns` (a block's streams read column by column, for aggregations) gives for every row what
/// the whole records say, and only the streams it needs are read.
@Suite struct BlockColumnsTests {
    /// Each asked row's column values and first field values, as the whole records give them.
    func expected(_ records: [LogRecord], columns: [String], fields: [String]) -> [[String]] {
        records.map { record in
            columns.map { column -> String in
                switch column {
                case "level": record.level?.description ?? ""
                case "service": record.service
                case "host": record.host
                default: record.source
                }
            } + fields.map { name in record.fields.first { $0.name == name }.map { "\($0.value)" } ?? "-" }
        }
    }

    func rows(_ slice: BlockColumnSlice, columns: [String], fields: [String]) -> [[String]] {
        (0..<slice.count).map { row in
            columns.map { slice.columns[$0]![row: row] } + fields.map { slice.fields[$0]![row].map { "\($0)" } ?? "-" }
        }
    }

    @Test func columnsAndFirstFieldValuesMatchTheWholeRecords() throws {
        var factory = RecordFactory(seed: 41)
        var records = factory.records(count: 1500)
        // A record may hold a name twice: the first value is the one aggregations read.
        records[7].fields += [Field("status", .string("twice")), Field("status", .int(3))]
        let path = temporaryDirectory() + "/c.seg"
        try SegmentWriter(options: .init(recordsPerBlock: 256)).write(records, to: path)
        let reader = try SegmentReader(path: path)
        let columns = ["service", "level", "host", "source"]
        let fields = ["status", "request_time", "traceId", "absent"]
        for block in reader.blocks.indices {
            let info = reader.blocks[block]
            let blockRecords = Array(records[info.firstOrdinal..<(info.firstOrdinal + info.recordCount)])
            let whole = try reader.readColumns(block, rows: nil, columns: columns, fields: fields)
            #expect(
                rows(whole, columns: columns, fields: fields)
                    == expected(blockRecords, columns: columns, fields: fields))
            // Read as numbers: the same values, NaN where a record has none.
            let numbers = try reader.readColumns(block, rows: nil, columns: [], fields: [], numbers: ["request_time"])
            let expectedNumbers = blockRecords.map { record in
                record.fields.first { $0.name == "request_time" }?.value.numberValue ?? .nan
            }
            #expect(numbers.numbers["request_time"]!.map(\.bitPattern) == expectedNumbers.map(\.bitPattern))
            let some = stride(from: block % 3, to: info.recordCount, by: 3 + block).map { $0 }
            let picked = try reader.readColumns(block, rows: some, columns: ["level"], fields: ["request_time"])
            #expect(
                rows(picked, columns: ["level"], fields: ["request_time"])
                    == expected(some.map { blockRecords[$0] }, columns: ["level"], fields: ["request_time"]))
        }
        #expect(throws: StorageError.self) {
            try reader.readColumns(0, rows: [reader.blocks[0].recordCount], columns: ["service"], fields: [])
        }
    }

    /// A damaged field stream fails the reads that need it and no other: the streams are checked alone.
    @Test func aDamagedFieldStreamFailsOnlyTheReadsThatNeedIt() throws {
        var factory = RecordFactory(seed: 43)
        let records = factory.records(count: 300)
        let path = temporaryDirectory() + "/d.seg"
        try SegmentWriter().write(records, to: path)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let block = try SegmentReader(path: path).blocks[0]
        let stored = Array(bytes[block.offset..<(block.offset + block.storedLength)])
        let table = try stored.withUnsafeBytes {
            try BlockStreamTable(parsing: $0, payloadLength: block.payloadLength)
        }
        let columns = try stored.withUnsafeBytes { try table.stream(0, of: $0) }
        let names = try BlockCodec.decodeSliceColumns(columns.bytes, columns: [], version: SegmentFormat.version).names
        let traceIdStream = table.entries[BlockCodec.firstFieldStream + names.firstIndex(of: "traceId")!]
        bytes[block.offset + traceIdStream.range.lowerBound + 1] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let reader = try SegmentReader(path: path)
        #expect(try reader.readColumns(0, rows: nil, columns: ["service"], fields: ["status"]).count == 300)
        #expect(try reader.readRecords(0, rows: [0, 1], messages: true, fields: ["status"]).count == 2)
        #expect(throws: StorageError.self) { try reader.readColumns(0, rows: nil, columns: [], fields: ["traceId"]) }
        #expect(throws: StorageError.self) { try reader.readBlock(0) }
    }

    /// A reader of a few streams reads the block's table from its first bytes, then those streams: the
    /// table parses from a prefix that holds it, however long the streams after it are (a check of
    /// each stream's length against the prefix sent every large block to a whole read).
    @Test func theStreamTableParsesFromAPrefixThatHoldsIt() throws {
        var factory = RecordFactory(seed: 44)
        let records = factory.records(count: 2000)
        let path = temporaryDirectory() + "/p.seg"
        try SegmentWriter().write(records, to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let block = try SegmentReader(path: path).blocks[0]
        let stored = Array(bytes[block.offset..<(block.offset + block.storedLength)])
        let whole = try stored.withUnsafeBytes { try BlockStreamTable(parsing: $0, payloadLength: block.payloadLength) }
        #expect(whole.entries.contains { $0.range.count > 2048 }, "a stream longer than the prefix")
        let prefix = Array(stored[..<whole.tableLength])
        let parsed = try prefix.withUnsafeBytes {
            try BlockStreamTable(parsing: $0, storedLength: block.storedLength, payloadLength: block.payloadLength)
        }
        #expect(parsed.entries.map(\.range) == whole.entries.map(\.range))
        #expect(parsed.tableLength == whole.tableLength)
        // One byte short of the table is not enough.
        #expect(throws: DecodeError.self) {
            try Array(prefix.dropLast()).withUnsafeBytes {
                try BlockStreamTable(parsing: $0, storedLength: block.storedLength, payloadLength: block.payloadLength)
            }
        }
    }
}
