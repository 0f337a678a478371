// See docs/segment-format.md, "Index section".

/// The term dictionary with its posting lists: terms sorted bytewise, each stored as the length of the
/// prefix it shares with the previous term plus the rest, followed by its postings (record ordinals,
/// ascending, delta + varint). Terms held by a single record go to that record's block filter instead.
enum InvertedIndexCodec {
    struct Encoded {
        var dictionary: [UInt8]
        /// Hashes of the single-record terms, by block.
        var rareTermHashes: [[UInt64]]
    }

    static func encode(_ records: [LogRecord], recordsPerBlock: Int) -> Encoded {
        var table = TermTable(capacity: max(1 << 14, records.count * 4))
        // One scratch key: field, the separator, then the value or the lower-cased word, written in place.
        let capacity = 2 * StorageLimits.maxIndexedValueBytes + StorageLimits.maxTokenBytes + 64
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { scratch.deallocate() }
        let wordPrefix = Array(Term.messageField.utf8) + [Term.separator]
        let prefixState = wordPrefix.reduce(BlockFilter.hashSeed, BlockFilter.hashStep)

        /// Adds `field` + separator + `value` when both fit the index's limit.
        func addField(_ field: String, _ value: some Collection<UInt8>, _ ordinal: UInt32) {
            let fieldLength = field.utf8.count
            guard fieldLength <= StorageLimits.maxIndexedValueBytes, value.count <= StorageLimits.maxIndexedValueBytes
            else { return }
            var length = 0
            for byte in field.utf8 {
                scratch[length] = byte
                length += 1
            }
            scratch[length] = Term.separator
            length += 1
            for byte in value {
                scratch[length] = byte
                length += 1
            }
            table.add(UnsafeBufferPointer(start: scratch, count: length), ordinal: ordinal)
        }

        for (position, record) in records.enumerated() {
            let ordinal = UInt32(position)
            // The same terms, in the same order, as `LogRecord.forEachFieldTerm` gives.
            if let level = record.level { addField("level", level.description.utf8, ordinal) }
            if !record.service.isEmpty { addField("service", record.service.utf8, ordinal) }
            if !record.host.isEmpty { addField("host", record.host.utf8, ordinal) }
            if !record.source.isEmpty { addField("source", record.source.utf8, ordinal) }
            for field in record.fields where field.name != Term.messageField {
                switch field.value {
                case .string(let text): addField(field.name, text.utf8, ordinal)
                case .int, .double: addField(field.name, field.value.canonicalText.utf8, ordinal)
                }
            }

            // Message words, tokenized straight into the scratch key (see `Tokenizer`).
            for (index, byte) in wordPrefix.enumerated() { scratch[index] = byte }
            let start = wordPrefix.count
            let limit = start + StorageLimits.maxTokenBytes
            var message = record.message
            message.withUTF8 { bytes in
                var length = start
                var state = prefixState
                for byte in bytes {
                    if Tokenizer.isWordByte(byte) {
                        if length < limit {
                            let lowered = Tokenizer.lower(byte)
                            scratch[length] = lowered
                            state = BlockFilter.hashStep(state, lowered)
                            length += 1
                        }
                    } else if length > start {
                        table.add(
                            UnsafeBufferPointer(start: scratch, count: length), hash: BlockFilter.hashFinish(state),
                            ordinal: ordinal)
                        length = start
                        state = prefixState
                    }
                }
                if length > start {
                    table.add(
                        UnsafeBufferPointer(start: scratch, count: length), hash: BlockFilter.hashFinish(state),
                        ordinal: ordinal)
                }
            }
        }

        var rareTermHashes = [[UInt64]](repeating: [], count: (records.count + recordsPerBlock - 1) / recordsPerBlock)
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
        var writer = ByteWriter(reservingCapacity: listed.count * 16 + records.count * 20)
        writer.writeVarint(listed.count)
        var previous: ArraySlice<UInt8> = []
        for (position, entry) in listed.enumerated() {
            let key = table.key(entry)
            var shared = 0
            let common = min(previous.count, key.count)
            while shared < common && previous[previous.startIndex + shared] == key[key.startIndex + shared] {
                shared += 1
            }
            writer.writeVarint(shared)
            writer.writeBytes(key.dropFirst(shared))
            writer.writeVarint(table.postingCount(entry))
            var last = table.firstPosting(entry)
            writer.writeVarint(UInt64(last))
            for ordinal in later[offsets[position]..<offsets[position + 1]] {
                writer.writeVarint(UInt64(ordinal - last))
                last = ordinal
            }
            previous = key
        }
        return Encoded(dictionary: writer.bytes, rareTermHashes: rareTermHashes)
    }

    /// Where each term's postings start in the payload, and how many there are.
    struct PostingsLocation {
        var offset: Int
        var count: Int
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
