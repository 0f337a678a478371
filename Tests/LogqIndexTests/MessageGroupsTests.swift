import Foundation
import Testing

@testable import LogqIndex

/// Format 4 stores a block's messages in groups by service and level: reading some rows decompresses
/// only their groups, and the records read back are the records written.
@Suite struct MessageGroupsTests {
    /// Two busy services with errors and infos (groups of their own), and a trickle of others that share
    /// the block's last group.
    func records(count: Int) -> [LogRecord] {
        var factory = RecordFactory(seed: 7)
        return (0..<count).map { index in
            let busy = index % 10 < 8
            let service = busy ? (index % 2 == 0 ? "order" : "member") : ["gateway", "", "product"][index % 3]
            let level: LogLevel? = index % 5 == 0 ? .error : (index % 17 == 0 ? nil : .info)
            let words = (0..<(6 + index % 9)).map { _ in factory.pick(["lock", "wait", "timeout", "cache", "ünïcode"]) }
            return LogRecord(
                timestamp: 1_795_424_400_000_000_000 + Int64(index) * 1_000_000, level: level, service: service,
                host: "app-01", message: "\(service) #\(index) " + words.joined(separator: " "),
                fields: [Field("n", .int(Int64(index)))])
        }
    }

    @Test func groupsSplitBusyPairsAndMergeTheRest() {
        // Service 0 has a large error group and a small info one; service 1 is small throughout.
        let services = [0, 0, 0, 1, 1]
        let levels = [5, 5, 3, 3, 5]
        let bytes = [6000, 6000, 100, 50, 50]
        let groups = MessageGroups(services: services, serviceCount: 2, levels: levels, messageBytes: bytes)
        #expect(groups.groupCount == 2)
        let assigned = groups.groups(services: services, levels: levels)
        #expect(assigned[0] == assigned[1])
        #expect(assigned[2] == assigned[3] && assigned[3] == assigned[4])
        #expect(assigned[0] != assigned[2])
        let parsed = groups.encoded().withUnsafeBytes {
            try? MessageGroups(parsing: $0, serviceCount: 2, groupCount: groups.groupCount)
        }
        #expect(parsed == groups)
        // Records with empty messages still have a group.
        let empty = MessageGroups(services: [0, 1], serviceCount: 2, levels: [0, 0], messageBytes: [0, 0])
        #expect(empty.groupCount == 1)
    }

    @Test func someRowsReadBackExactlyFromTheirGroups() throws {
        let records = records(count: 5000)
        let path = temporaryDirectory() + "/g.seg"
        try SegmentWriter().write(records, to: path)
        let reader = try SegmentReader(path: path)
        #expect(reader.version == SegmentFormat.version)
        for (block, info) in reader.blocks.enumerated() {
            let written = Array(records[info.firstOrdinal..<(info.firstOrdinal + info.recordCount)])
            #expect(try reader.readBlock(block) == written)
            let rows = stride(from: block, to: info.recordCount, by: 7).map { $0 }
            #expect(try reader.readRecords(block, rows: rows) == rows.map { written[$0] })
            let messages = try reader.withMessageBytes(block, rows: rows) { messages in
                rows.map { String(decoding: messages[$0], as: UTF8.self) }
            }
            #expect(messages == rows.map { written[$0].message })
        }
    }

    /// A damaged group fails the reads of its records, and no other read.
    @Test func aDamagedGroupFailsOnlyItsRecords() throws {
        let records = records(count: 2000)
        let path = temporaryDirectory() + "/d.seg"
        try SegmentWriter().write(records, to: path)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let block = try SegmentReader(path: path).blocks[0]
        let stored = Array(bytes[block.offset..<(block.offset + block.storedLength)])
        let table = try stored.withUnsafeBytes { try BlockStreamTable(parsing: $0, payloadLength: block.payloadLength) }
        let columns = try stored.withUnsafeBytes { try table.stream(0, of: $0) }
        let slice = try withExtendedLifetime(columns) {
            try BlockCodec.decodeSliceColumns(
                columns.bytes, columns: ["level", "service"], version: SegmentFormat.version)
        }
        #expect(slice.messageGroupCount >= 3, "order and member errors and infos, and the rest")
        let mapStream = try stored.withUnsafeBytes { try table.stream(BlockCodec.messagesStream, of: $0) }
        let map = try withExtendedLifetime(mapStream) {
            try MessageGroups(
                parsing: mapStream.bytes, serviceCount: slice.columns["service"]!.dictionary.count,
                groupCount: slice.messageGroupCount)
        }
        let groups = map.groups(services: slice.columns["service"]!.codes, levels: slice.columns["level"]!.codes)
        // Damage the heads of the group of the first record (an order error).
        let damaged = table.entries[BlockCodec.firstFieldStream + slice.names.count + 2 * groups[0]]
        bytes[block.offset + damaged.range.lowerBound + 1] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let reader = try SegmentReader(path: path)
        let healthy = groups.indices.filter { groups[$0] != groups[0] }
        #expect(try reader.readRecords(0, rows: Array(healthy.prefix(50))).count == 50)
        #expect(try reader.withMessageBytes(0, rows: healthy) { _ in true })
        #expect(throws: StorageError.self) { try reader.readRecords(0, rows: [0]) }
        #expect(throws: StorageError.self) { try reader.readBlock(0) }
    }

    /// Format 5: each group's first lines apart from the rest of its messages. Every placement of LFs
    /// reads back exactly, and the heads are the messages' first lines.
    @Test func headsAndRestsReadBackExactly() throws {
        let messages = [
            "", "\n", "\n\n", "plain", "first\n", "first\nsecond", "first\r\nsecond\n", "\nonly a rest",
            "lock wait timeout\n\tat com.coffee.Order.run(Order.java:42)\n\tat java.base/Thread.run",
            "ünïcode\nnext ünïcode",
        ]
        let records = (0..<3000).map { index in
            LogRecord(
                timestamp: 1_795_424_400_000_000_000 + Int64(index) * 1_000_000, level: index % 3 == 0 ? .error : .info,
                service: index % 2 == 0 ? "order" : "member", host: "app-01",
                message: messages[index % messages.count] + (index % 4 == 0 ? " #\(index)" : ""))
        }
        let path = temporaryDirectory() + "/h.seg"
        try SegmentWriter(options: .init(recordsPerBlock: 512, messageGroupBytes: 512)).write(records, to: path)
        let reader = try SegmentReader(path: path)
        for (block, info) in reader.blocks.enumerated() {
            let written = Array(records[info.firstOrdinal..<(info.firstOrdinal + info.recordCount)])
            #expect(try reader.readBlock(block) == written)
            let rows = Array(0..<info.recordCount)
            let whole = try reader.withMessageBytes(block, rows: rows) { messages in
                rows.map { String(decoding: messages[$0], as: UTF8.self) }
            }
            #expect(whole == written.map(\.message))
            // A check that passes nothing sees every first line, then the whole of each message that goes on.
            let some = stride(from: block % 3, to: info.recordCount, by: 3).map { $0 }
            var seen: [String] = []
            let passed = try reader.rows(
                block, rows: some,
                passing: {
                    seen.append(String(decoding: $0, as: UTF8.self))
                    return false
                }, firstLineSuffices: true)
            #expect(passed.isEmpty)
            let expected = some.map { written[$0].message }
            // Bytes up to the first LF: "first\r\nsecond" has the head "first\r".
            let firstLines = expected.map { String(decoding: Array($0.utf8.prefix { $0 != 0x0A }), as: UTF8.self) }
            #expect(Array(seen.prefix(some.count)) == firstLines)
            // Whole messages are read group by group.
            #expect(seen.dropFirst(some.count).sorted() == expected.filter { $0.utf8.contains(0x0A) }.sorted())
            // A check that passes every first line never reads a whole message; one that passes only whole
            // messages finds exactly the multi-line ones.
            var wholeSeen = 0
            #expect(
                try reader.rows(
                    block, rows: some,
                    passing: { _ in
                        wholeSeen += 1
                        return true
                    }, firstLineSuffices: true) == some)
            #expect(wholeSeen == some.count)
            #expect(
                try reader.rows(block, rows: some, passing: { $0.contains(0x0A) }, firstLineSuffices: true)
                    == some.filter { written[$0].message.utf8.contains(0x0A) })
        }
        try reader.verifyInvariants()
    }
}
