// See docs/segment-format.md, "Index section".

/// The term dictionary with its posting lists: terms sorted bytewise, each stored as the length of the
/// prefix it shares with the previous term plus the rest, followed by its postings (record ordinals,
/// ascending, delta + varint). Terms held by a single record go to that record's block filter instead.
enum InvertedIndexCodec {
    private static let serviceField = "service"
    private static let hostField = "host"
    private static let sourceField = "source"

    struct Encoded {
        /// The terms in chunks of about `chunkPayloadBytes`, in key order (format 3).
        var chunks: [Chunk]
        /// Hashes of the single-record terms, by block.
        var rareTermHashes: [[UInt64]]
        var termCount: Int
    }

    struct Chunk {
        var firstKey: [UInt8]
        var termCount: Int
        var payload: [UInt8]
    }

    /// A chunk closes once its payload reaches this size: small enough that a lookup decompresses little
    /// and scans few keys, large enough that the chunk directory (kept in memory) stays small.
    static let chunkPayloadBytes = 16 << 10

    static func encode(_ records: [LogRecord], recordsPerBlock: Int) -> Encoded {
        var builder = IndexTermCollector(capacity: max(1 << 14, records.count * 4))
        records.withUnsafeBufferPointer { collect($0, firstOrdinal: 0, into: &builder) }
        return finish(builder, recordCount: records.count, recordsPerBlock: recordsPerBlock)
    }

    /// Adds the terms of `records`, numbered from `firstOrdinal`.
    static func collect(
        _ records: UnsafeBufferPointer<LogRecord>, firstOrdinal: Int, into builder: inout IndexTermCollector
    ) {
        for position in records.indices {
            let ordinal = UInt32(firstOrdinal + position)
            // The same terms, in the same order, as `LogRecord.forEachFieldTerm` gives.
            if let level = records[position].level { builder.addField(level: level, ordinal) }
            builder.addField(Self.serviceField, records[position].service, ordinal)
            builder.addField(Self.hostField, records[position].host, ordinal)
            builder.addField(Self.sourceField, records[position].source, ordinal)
            records[position].fields.withUnsafeBufferPointer { fields in
                for field in fields.indices where !fields[field].name.isSameText(as: Term.messageField) {
                    builder.addField(fields[field].name, fields[field].value, ordinal, position: field)
                }
            }
            builder.addMessageWords(records[position].message, ordinal)
        }
    }

    /// The index of the `recordCount` records collected, in blocks of `recordsPerBlock`.
    static func finish(_ builder: consuming IndexTermCollector, recordCount: Int, recordsPerBlock: Int) -> Encoded {
        let table = builder.finish()

        var rareTermHashes = [[UInt64]](repeating: [], count: (recordCount + recordsPerBlock - 1) / recordsPerBlock)
        var listed: [Int] = []
        listed.reserveCapacity(table.count / 4)
        for entry in 0..<table.count {
            if table.postingCount(entry) == 1 {
                rareTermHashes[Int(table.firstPosting(entry)) / recordsPerBlock].append(table.hash(entry))
            } else {
                listed.append(entry)
            }
        }
        table.arena.withUnsafeBufferPointer { arena in
            listed.sort { lhs, rhs in
                let (a, b) = (table.keyRange(lhs), table.keyRange(rhs))
                let common = min(a.count, b.count)
                let order = memcmp(arena.baseAddress! + a.lowerBound, arena.baseAddress! + b.lowerBound, common)
                return order != 0 ? order < 0 : a.count < b.count
            }
        }

        let (offsets, later) = table.gatherPostings(of: listed)
        var chunks: [Chunk] = []
        var writer = ByteWriter(reservingCapacity: chunkPayloadBytes * 2)
        var chunkFirstKey: [UInt8] = []
        var chunkTerms = 0
        var previous: ArraySlice<UInt8> = []
        // Terms that always occur together (the words of one message template) have the same posting
        // list: a third of a segment's postings bytes. Each list is written once; a later term with the
        // same list refers to it. Keyed by a hash of the list, checked in full on a match.
        var writtenLists: [Int: (position: Int, chunk: Int, offset: Int)] = [:]
        func postings(_ position: Int) -> (first: UInt32, later: ArraySlice<UInt32>) {
            (table.firstPosting(listed[position]), later[offsets[position]..<offsets[position + 1]])
        }
        for (position, entry) in listed.enumerated() {
            let key = table.key(entry)
            if chunkTerms == 0 {
                chunkFirstKey = Array(key)
                previous = []
            }
            var shared = 0
            let common = min(previous.count, key.count)
            while shared < common && previous[previous.startIndex + shared] == key[key.startIndex + shared] {
                shared += 1
            }
            writer.writeVarint(shared)
            writer.writeBytes(key.dropFirst(shared))
            let list = postings(position)
            // FNV-1a over the ordinals, finished like `BlockFilter`'s hash: SipHash (`Hasher`) per ordinal
            // was a twentieth of the index build, and a match is checked in full anyway.
            var state = BlockFilter.hashSeed ^ UInt64(list.later.count)
            state = (state ^ UInt64(list.first)) &* BlockFilter.hashPrime
            for ordinal in list.later { state = (state ^ UInt64(ordinal)) &* BlockFilter.hashPrime }
            let hash = Int(truncatingIfNeeded: BlockFilter.hashFinish(state))
            if let earlier = writtenLists[hash], postings(earlier.position) == list {
                // 0 postings: the same list as the term whose postings start at `offset` in `chunk`.
                writer.writeVarint(0)
                writer.writeVarint(earlier.chunk)
                writer.writeVarint(earlier.offset)
                writer.writeVarint(list.later.count + 1)
            } else {
                writer.writeVarint(list.later.count + 1)
                if writtenLists[hash] == nil { writtenLists[hash] = (position, chunks.count, writer.count) }
                var last = list.first
                writer.writeVarint(UInt64(last))
                for ordinal in list.later {
                    writer.writeVarint(UInt64(ordinal - last))
                    last = ordinal
                }
            }
            previous = key
            chunkTerms += 1
            if writer.count >= chunkPayloadBytes || position == listed.count - 1 {
                chunks.append(Chunk(firstKey: chunkFirstKey, termCount: chunkTerms, payload: writer.bytes))
                writer = ByteWriter(reservingCapacity: chunkPayloadBytes * 2)
                chunkTerms = 0
            }
        }
        return Encoded(chunks: chunks, rareTermHashes: rareTermHashes, termCount: listed.count)
    }

    /// Where each term's postings start in the payload, and how many there are.
    struct PostingsLocation {
        var offset: Int
        var count: Int
        /// Format 3: the index chunk holding the postings when a term shares an earlier term's list (nil:
        /// the term's own chunk, or the whole payload of a format 1 or 2 index).
        var chunk: Int? = nil
    }

    static func decodeDictionary(_ payload: UnsafeRawBufferPointer) throws(DecodeError) -> [String: PostingsLocation] {
        var reader = ByteReader(payload)
        let termCount = try reader.readLength()
        var dictionary: [String: PostingsLocation] = [:]
        dictionary.reserveCapacity(termCount)
        var previous: [UInt8] = []
        var previousKey = ""
        for _ in 0..<termCount {
            let shared = try reader.readIndex(below: previous.count + 1, what: "shared prefix length")
            let suffixLength = try reader.readLength()
            let suffix = try reader.readByteSlice(count: suffixLength)
            var key = Array(previous[..<shared])
            key.append(contentsOf: suffix)
            guard previous.isEmpty || previous.lexicographicallyPrecedes(key) else {
                throw .malformed("terms out of order", at: reader.offset)
            }
            let count = try reader.readLength()
            let location = PostingsLocation(offset: reader.offset, count: count)
            for _ in 0..<count { _ = try reader.readVarint() }
            previousKey = String(decoding: key, as: UTF8.self)
            dictionary[previousKey] = location
            previous = key
        }
        guard reader.isAtEnd else { throw .malformed("bytes left after the last term", at: reader.offset) }
        return dictionary
    }

    static func decodePostings(
        _ payload: UnsafeRawBufferPointer,
        at location: PostingsLocation,
        recordCount: Int
    ) throws(DecodeError) -> [UInt32] {
        var reader = ByteReader(payload, offset: location.offset)
        var result: [UInt32] = []
        result.reserveCapacity(location.count)
        var current: UInt64 = 0
        for position in 0..<location.count {
            let delta = try reader.readVarint()
            current = position == 0 ? delta : current + delta
            guard current < UInt64(recordCount), position == 0 || delta > 0 else {
                throw .malformed("posting out of order or past the last record", at: reader.offset)
            }
            result.append(UInt32(current))
        }
        return result
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
