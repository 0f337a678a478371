// See docs/segment-format.md, "Index section".

/// The chunk directory of a format 3 index: each chunk's first key, term count, and where its stored
/// bytes lie. A reader keeps only this in memory and reads a chunk when a lookup needs it: holding every
/// segment's whole dictionary grew the server by gigabytes over ten million lines.
struct IndexChunkDirectory: Sendable {
    struct Entry: Sendable {
        var firstKey: [UInt8]
        var termCount: Int
        var codec: CompressionCodec
        /// Where the stored chunk lies in the file.
        var range: Range<Int>
        var payloadLength: Int
        var checksum: UInt32
    }

    var termCount: Int
    var entries: [Entry]

    /// Parses the directory; the chunks it lists must fill `chunksStart..<chunksEnd` (file offsets) exactly,
    /// in ascending order of their first keys, and their term counts add up to the total.
    init(parsing bytes: UnsafeRawBufferPointer, chunksStart: Int, chunksEnd: Int) throws(DecodeError) {
        var reader = ByteReader(bytes)
        termCount = try reader.readIndex(below: Int(Int32.max), what: "term count")
        let count = try reader.readLength()
        entries = []
        entries.reserveCapacity(count)
        var start = chunksStart
        var terms = 0
        for _ in 0..<count {
            let keyLength = try reader.readLength()
            let firstKey = Array(try reader.readByteSlice(count: keyLength))
            let chunkTerms = try reader.readIndex(below: termCount + 1, what: "chunk term count")
            let raw = try reader.readUInt8()
            guard let codec = CompressionCodec(rawValue: raw) else {
                throw .malformed("unknown index chunk codec \(raw)", at: reader.offset - 1)
            }
            let storedLength = try reader.readIndex(below: chunksEnd - start + 1, what: "index chunk length")
            let payloadLength = try reader.readIndex(below: Int(Int32.max), what: "index chunk size")
            let checksum = try reader.readUInt32()
            guard chunkTerms > 0, entries.last.map({ $0.firstKey.lexicographicallyPrecedes(firstKey) }) ?? true
            else { throw .malformed("index chunks out of order or empty", at: reader.offset) }
            entries.append(
                Entry(
                    firstKey: firstKey, termCount: chunkTerms, codec: codec, range: start..<(start + storedLength),
                    payloadLength: payloadLength, checksum: checksum))
            start += storedLength
            terms += chunkTerms
        }
        guard reader.isAtEnd else { throw .malformed("bytes left after the index chunk directory", at: reader.offset) }
        guard start == chunksEnd, terms == termCount else {
            throw .malformed("index chunks do not add up to the index section", at: 0)
        }
    }

    /// The chunk that holds `key` if any does: the last whose first key is at most `key`.
    func chunk(for key: some Collection<UInt8>) -> Int? {
        var low = 0
        var high = entries.count
        // First chunk whose first key is greater than `key`.
        while low < high {
            let middle = (low + high) / 2
            if key.lexicographicallyPrecedes(entries[middle].firstKey) { high = middle } else { low = middle + 1 }
        }
        return low == 0 ? nil : low - 1
    }
}

/// Reads the terms of one decompressed index chunk in order.
struct IndexChunkScanner {
    private var reader: ByteReader
    private var remaining: Int
    /// The current term's key.
    private(set) var key: [UInt8] = []

    init(_ payload: UnsafeRawBufferPointer, termCount: Int) {
        reader = ByteReader(payload)
        remaining = termCount
    }

    /// Moves to the next term and returns where its postings are, or nil after the last one (having
    /// checked that the chunk ends there). Keys must ascend.
    mutating func next() throws(DecodeError) -> InvertedIndexCodec.PostingsLocation? {
        guard remaining > 0 else {
            guard reader.isAtEnd else { throw .malformed("bytes left after the last term", at: reader.offset) }
            return nil
        }
        remaining -= 1
        let previous = key
        let shared = try reader.readIndex(below: key.count + 1, what: "shared prefix length")
        let suffixLength = try reader.readLength()
        let suffix = try reader.readByteSlice(count: suffixLength)
        key.removeLast(key.count - shared)
        key.append(contentsOf: suffix)
        guard previous.isEmpty || previous.lexicographicallyPrecedes(key) else {
            throw .malformed("terms out of order", at: reader.offset)
        }
        let count = try reader.readLength()
        guard count > 0 else {
            // The same postings as an earlier term: its chunk, the offset of its postings there, their count.
            let chunk = try reader.readIndex(below: Int(Int32.max), what: "shared postings chunk")
            let offset = try reader.readIndex(below: Int(Int32.max), what: "shared postings offset")
            let sharedCount = try reader.readIndex(below: Int(Int32.max), what: "shared postings count")
            guard sharedCount > 0 else { throw .malformed("a shared posting list of no postings", at: reader.offset) }
            return InvertedIndexCodec.PostingsLocation(offset: offset, count: sharedCount, chunk: chunk)
        }
        let location = InvertedIndexCodec.PostingsLocation(offset: reader.offset, count: count)
        for _ in 0..<count { _ = try reader.readVarint() }
        return location
    }
}
