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
        // Grouped by field, then by value: no per-term key string is built while counting.
        var words: [String: [UInt32]] = [:]
        var fields: [String: [String: [UInt32]]] = [:]
        for (position, record) in records.enumerated() {
            let ordinal = UInt32(position)
            record.forEachFieldTerm { field, value in
                fields[field, default: [:]][value, default: []].appendIfNew(ordinal)
            }
            Tokenizer.forEachToken(in: record.message) { token in
                words[String(decoding: token, as: UTF8.self), default: []].appendIfNew(ordinal)
            }
        }
        var entries: [(key: [UInt8], postings: [UInt32])] = []
        entries.reserveCapacity(words.count + fields.values.reduce(0) { $0 + $1.count })
        func add(_ field: String, _ values: [String: [UInt32]]) {
            let prefix = Array(field.utf8) + [Term.separator]
            for (value, postings) in values { entries.append((prefix + Array(value.utf8), postings)) }
        }
        add(Term.messageField, words)
        for (field, values) in fields { add(field, values) }
        var rareTermHashes = [[UInt64]](repeating: [], count: (records.count + recordsPerBlock - 1) / recordsPerBlock)
        entries.removeAll { entry in
            guard entry.postings.count == 1 else { return false }
            rareTermHashes[Int(entry.postings[0]) / recordsPerBlock].append(BlockFilter.hash(entry.key))
            return true
        }
        entries.sort { $0.key.lexicographicallyPrecedes($1.key) }

        var writer = ByteWriter(reservingCapacity: entries.count * 16 + records.count * 20)
        writer.writeVarint(entries.count)
        var previous: [UInt8] = []
        for (key, postings) in entries {
            var shared = 0
            let limit = min(previous.count, key.count)
            while shared < limit && previous[shared] == key[shared] { shared += 1 }
            writer.writeVarint(shared)
            writer.writeBytes(key[shared...])
            writer.writeVarint(postings.count)
            var last: UInt32 = 0
            for (position, ordinal) in postings.enumerated() {
                writer.writeVarint(UInt64(position == 0 ? ordinal : ordinal - last))
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

extension Array where Element == UInt32 {
    /// Records are visited in order, so a word repeated in one message is a repeat of the last entry.
    fileprivate mutating func appendIfNew(_ ordinal: UInt32) {
        if last != ordinal { append(ordinal) }
    }
}
