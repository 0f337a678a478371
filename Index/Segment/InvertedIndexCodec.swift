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
        var table = TermTable(capacity: records.count)
        // One reusable key buffer: field, the separator, then the value or the lower-cased word.
        let wordPrefix = Array(Term.messageField.utf8) + [Term.separator]
        var key: [UInt8] = []
        key.reserveCapacity(512)
        for (position, record) in records.enumerated() {
            let ordinal = UInt32(position)
            record.forEachFieldTerm { field, value in
                key.removeAll(keepingCapacity: true)
                key.append(contentsOf: field.utf8)
                key.append(Term.separator)
                key.append(contentsOf: value.utf8)
                key.withUnsafeBufferPointer { table.add($0, ordinal: ordinal) }
            }
            Tokenizer.forEachToken(in: record.message) { token in
                key.removeAll(keepingCapacity: true)
                key.append(contentsOf: wordPrefix)
                key.append(contentsOf: token)
                key.withUnsafeBufferPointer { table.add($0, ordinal: ordinal) }
            }
        }

        var rareTermHashes = [[UInt64]](repeating: [], count: (records.count + recordsPerBlock - 1) / recordsPerBlock)
        var listed: [Int] = []
        listed.reserveCapacity(table.count)
        for entry in 0..<table.count {
            if table.postings[entry].count == 1 {
                rareTermHashes[Int(table.postings[entry][0]) / recordsPerBlock].append(table.hash(entry))
            } else {
                listed.append(entry)
            }
        }
        listed.sort { table.key($0).lexicographicallyPrecedes(table.key($1)) }
        let entries = listed.lazy.map { (key: table.key($0), postings: table.postings[$0]) }

        var writer = ByteWriter(reservingCapacity: listed.count * 16 + records.count * 20)
        writer.writeVarint(listed.count)
        var previous: ArraySlice<UInt8> = []
        for (key, postings) in entries {
            var shared = 0
            let limit = min(previous.count, key.count)
            while shared < limit && previous[previous.startIndex + shared] == key[key.startIndex + shared] {
                shared += 1
            }
            writer.writeVarint(shared)
            writer.writeBytes(key.dropFirst(shared))
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
