#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// See docs/segment-format.md, "Message groups" (versions 4 and 5).

/// How a version 4 or 5 block splits its messages into separately compressed streams: by service and level,
/// which the columns stream already holds, so a reader knows every record's group without a byte more.
/// A query for `service:order` words, a phrase in error messages, or the newest order errors decompresses
/// the groups its candidates are in, not every message of the block: at ten million records a regex over
/// one service read ten times the bytes it needed.
///
/// Groups too small to compress well are merged: first into their service's other messages, then into
/// one group for the rest of the block.
public struct MessageGroups: Equatable, Sendable {
    /// Stored level numbers run from 0 (none) to 6.
    static let levelCount = 7
    /// A (service, level) pair with fewer message bytes than this shares a group: a zstd frame of a few
    /// hundred bytes costs more in its header and lost context than the split saves.
    public static let minimumGroupBytes = 4096

    /// Per service code and level number (`service * levelCount + level`), the record's group.
    var groupOfKey: [Int]
    var groupCount: Int

    /// The groups of a block whose records have these service codes (into a dictionary of `serviceCount`),
    /// level numbers and message lengths; `minimumBytes` is the size a pair needs for a group of its own.
    init(services: [Int], serviceCount: Int, levels: [Int], messageBytes: [Int], minimumBytes: Int = minimumGroupBytes)
    {
        let keyCount = serviceCount * Self.levelCount
        var bytes = [Int](repeating: 0, count: keyCount)
        var held = [Bool](repeating: false, count: keyCount)
        for record in services.indices {
            let key = services[record] * Self.levelCount + levels[record]
            bytes[key] += messageBytes[record]
            held[key] = true
        }
        var groupOfKey = [Int](repeating: -1, count: keyCount)
        var groupCount = 0
        var restOfBlock: [Int] = []
        for service in 0..<serviceCount {
            let keys = (0..<Self.levelCount).map { service * Self.levelCount + $0 }
            var restOfService: [Int] = []
            for key in keys where held[key] {
                if bytes[key] >= minimumBytes {
                    groupOfKey[key] = groupCount
                    groupCount += 1
                } else {
                    restOfService.append(key)
                }
            }
            if restOfService.reduce(0, { $0 + bytes[$1] }) >= minimumBytes {
                for key in restOfService { groupOfKey[key] = groupCount }
                groupCount += 1
            } else {
                restOfBlock += restOfService
            }
        }
        if !restOfBlock.isEmpty {
            for key in restOfBlock { groupOfKey[key] = groupCount }
            groupCount += 1
        }
        // Pairs no record has still need a valid group for the map.
        self.groupOfKey = groupOfKey.map { max($0, 0) }
        self.groupCount = groupCount
    }

    /// Parses the map stream of a block with `serviceCount` services and `groupCount` groups.
    init(parsing stream: UnsafeRawBufferPointer, serviceCount: Int, groupCount: Int) throws(DecodeError) {
        var reader = ByteReader(stream)
        let storedServices = try reader.readLength()
        guard storedServices == serviceCount else {
            throw .malformed("message groups for \(storedServices) services, the block has \(serviceCount)", at: 0)
        }
        var groupOfKey: [Int] = []
        groupOfKey.reserveCapacity(serviceCount * Self.levelCount)
        for _ in 0..<(serviceCount * Self.levelCount) {
            groupOfKey.append(try reader.readIndex(below: max(groupCount, 1), what: "message group"))
        }
        guard reader.isAtEnd else { throw .malformed("bytes left after the message groups", at: reader.offset) }
        self.groupOfKey = groupOfKey
        self.groupCount = groupCount
    }

    /// The map stream: the number of services, then a group per service and level.
    func encoded() -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: 1 + groupOfKey.count)
        writer.writeVarint(groupOfKey.count / Self.levelCount)
        for group in groupOfKey { writer.writeVarint(group) }
        return writer.bytes
    }

    /// Each record's group.
    func groups(services: [Int], levels: [Int]) -> [Int] {
        zip(services, levels).map { groupOfKey[$0 * Self.levelCount + $1] }
    }

    /// The records of each group, in record order.
    func members(services: [Int], levels: [Int]) -> [[Int]] {
        var members = [[Int]](repeating: [], count: groupCount)
        for (record, group) in groups(services: services, levels: levels).enumerated() {
            members[group].append(record)
        }
        return members
    }

    /// Version 5: two streams per group, its heads then its rests (see `HeadsAndRests`).
    static func headAndRestStreams(_ members: [[Int]], of records: UnsafeBufferPointer<LogRecord>) -> [[UInt8]] {
        // Each message read in place through the buffer (a closure returning the String cost a retain and a
        // release per read, three reads per record).
        members.flatMap { members -> [[UInt8]] in
            var heads = ByteWriter(reservingCapacity: members.count * 100)
            var rests = ByteWriter(reservingCapacity: 0)
            var splits: [(head: Int, rest: Int?)] = []
            splits.reserveCapacity(members.count)
            for record in members {
                let split = records[record].message.withUTF8Bytes { HeadsAndRests.split($0) }
                splits.append(split)
                heads.writeVarint(split.head << 1 | (split.rest == nil ? 0 : 1))
                if let rest = split.rest { rests.writeVarint(rest) }
            }
            for (record, split) in zip(members, splits) {
                records[record].message.withUTF8Bytes { bytes in
                    heads.write(UnsafeBufferPointer(rebasing: bytes[..<split.head]))
                }
            }
            for (record, split) in zip(members, splits) where split.rest != nil {
                records[record].message.withUTF8Bytes { bytes in
                    rests.write(UnsafeBufferPointer(rebasing: bytes[(split.head + 1)...]))
                }
            }
            return [heads.bytes, rests.bytes]
        }
    }
}

/// Version 5 stores each message group as two streams: the heads (each message's first line, up to its
/// first LF) and the rests (what follows that LF). A phrase query checks the heads first: a stack trace's
/// frames are most of an error group's bytes, and a phrase found in the first line is found in the
/// message, so only the candidates whose head does not match need their rest.
///
/// Heads stream: per member, `varint(head length << 1 | has a rest)`; then the heads' bytes. Rests
/// stream: per member with a rest, `varint(rest length)`; then those rests' bytes (empty when none has).
/// The message is the head, then LF and the rest when it has one.
enum HeadsAndRests {
    /// The head's length and, when the message holds an LF, the rest's.
    static func split(_ bytes: UnsafeBufferPointer<UInt8>) -> (head: Int, rest: Int?) {
        guard let base = bytes.baseAddress, let found = memchr(base, 0x0A, bytes.count) else {
            return (bytes.count, nil)
        }
        let newline = UnsafeRawPointer(found) - UnsafeRawPointer(base)
        return (newline, bytes.count - newline - 1)
    }

    /// The heads' ranges in a heads stream of `count` members, and which have a rest.
    static func heads(
        _ stream: UnsafeRawBufferPointer, count: Int
    ) throws(DecodeError) -> (
        ranges: [Range<Int>], hasRest: [Bool]
    ) {
        var reader = ByteReader(stream)
        var lengths: [Int] = []
        var hasRest: [Bool] = []
        lengths.reserveCapacity(count)
        hasRest.reserveCapacity(count)
        for _ in 0..<count {
            let coded = try reader.readVarint()
            guard coded >> 1 <= UInt64(stream.count) else {
                throw .malformed("a message head runs past its stream", at: reader.offset)
            }
            lengths.append(Int(coded >> 1))
            hasRest.append(coded & 1 == 1)
        }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(count)
        var start = reader.offset
        for length in lengths {
            guard length <= stream.count - start else {
                throw .malformed("a message head runs past its stream", at: start)
            }
            ranges.append(start..<(start + length))
            start += length
        }
        guard start == stream.count else { throw .malformed("bytes left after the last message head", at: start) }
        return (ranges, hasRest)
    }

    /// Each member's rest in a rests stream, nil for a member without one (`hasRest`, from the heads).
    static func rests(_ stream: UnsafeRawBufferPointer, hasRest: [Bool]) throws(DecodeError) -> [Range<Int>?] {
        var rests = try BlockCodec.messageRanges(stream, count: hasRest.reduce(0) { $0 + ($1 ? 1 : 0) })[...]
        return hasRest.map { $0 ? rests.popFirst() : nil }
    }
}
