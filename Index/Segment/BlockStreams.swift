// See docs/segment-format.md, "Block streams" (version 3): how a block's streams are stored.

/// A version 3 block as stored: a table of streams (codec, stored and decompressed sizes, checksum),
/// then each stream's stored bytes. The block directory's checksum covers the table; each stream's
/// own checksum covers its bytes, so a query verifies only what it reads.
struct BlockStreamTable {
    struct Entry {
        /// Where the stream's stored bytes lie in the stored block.
        var range: Range<Int>
        var codec: CompressionCodec
        var payloadLength: Int
        var checksum: UInt32
    }

    var entries: [Entry]
    /// The table's own bytes at the start of the stored block.
    var tableLength: Int

    /// Compresses each stream with `compressor` (kept raw when that does not make it smaller, or when the
    /// codec is `none`); returns the stored block, the checksum of its table and the streams' total
    /// decompressed size.
    static func store(
        _ streams: [[UInt8]], codec: CompressionCodec, compressor: ZstdCompressor
    ) -> (stored: [UInt8], tableChecksum: UInt32, payloadLength: Int) {
        var stored: [(codec: CompressionCodec, bytes: [UInt8])] = []
        stored.reserveCapacity(streams.count)
        for stream in streams {
            // Tiny streams (a field held by a few records) gain nothing from a frame header.
            guard stream.count >= 32 else {
                stored.append((.none, stream))
                continue
            }
            switch codec {
            case .none:
                stored.append((.none, stream))
            case .zstd:
                let compressed = stream.withUnsafeBytes { compressor.compress($0) }
                stored.append(compressed.map { (.zstd, $0) } ?? (.none, stream))
            case .lz4:
                let compressed = Compression.compress(stream, codec: .lz4, zstdLevel: 0)
                stored.append(compressed.count < stream.count ? (.lz4, compressed) : (.none, stream))
            }
        }
        var table = ByteWriter(reservingCapacity: 8 + streams.count * 12)
        table.writeVarint(streams.count)
        for (index, entry) in stored.enumerated() {
            table.write(entry.codec.rawValue)
            table.writeVarint(entry.bytes.count)
            table.writeVarint(streams[index].count)
            table.writeUInt32(CRC32C.checksum(entry.bytes))
        }
        let tableChecksum = CRC32C.checksum(table.bytes)
        var block = table
        for entry in stored { block.write(entry.bytes) }
        return (block.bytes, tableChecksum, streams.reduce(0) { $0 + $1.count })
    }

    /// Parses the table at the start of `stored` and checks that the streams fill the block exactly and
    /// add up to `payloadLength`. The table's checksum is the caller's to check (it is in the directory).
    init(parsing stored: UnsafeRawBufferPointer, payloadLength: Int) throws(DecodeError) {
        try self.init(parsing: stored, storedLength: stored.count, payloadLength: payloadLength)
    }

    /// The same from the first bytes of a block of `storedLength` bytes (a reader that needs two streams of
    /// thirty reads the table, then those two): `.truncated` when the table runs past `prefix`.
    init(parsing prefix: UnsafeRawBufferPointer, storedLength: Int, payloadLength: Int) throws(DecodeError) {
        var reader = ByteReader(prefix)
        let count = try reader.readLength()
        guard count >= BlockCodec.firstFieldStream else { throw .malformed("a block has \(count) streams", at: 0) }
        var entries: [(codec: CompressionCodec, storedLength: Int, payloadLength: Int, checksum: UInt32)] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let raw = try reader.readUInt8()
            guard let codec = CompressionCodec(rawValue: raw) else {
                throw .malformed("unknown stream codec \(raw)", at: reader.offset - 1)
            }
            // Bounded by the block, not by the bytes at hand: read from a prefix, the table is all there is
            // (checking it against the prefix failed every block with a stream longer than what followed
            // the table in the prefix, and every such block was then read whole).
            let streamStoredLength = try reader.readIndex(below: storedLength + 1, what: "stored stream length")
            // Bounded by the block's decompressed size, so a corrupt length cannot ask for a huge buffer.
            let streamPayloadLength = try reader.readIndex(below: payloadLength + 1, what: "stream length")
            entries.append((codec, streamStoredLength, streamPayloadLength, try reader.readUInt32()))
        }
        tableLength = reader.offset
        var start = tableLength
        var total = 0
        self.entries = []
        self.entries.reserveCapacity(count)
        for entry in entries {
            guard entry.storedLength <= storedLength - start else {
                throw .malformed("a stream runs past its block", at: start)
            }
            self.entries.append(
                Entry(
                    range: start..<(start + entry.storedLength), codec: entry.codec,
                    payloadLength: entry.payloadLength, checksum: entry.checksum))
            start += entry.storedLength
            total += entry.payloadLength
        }
        guard start == storedLength else { throw .malformed("bytes left after the last stream", at: start) }
        guard total == payloadLength else {
            throw .malformed("streams decompress to \(total) bytes, the directory says \(payloadLength)", at: 0)
        }
    }

    /// Stream `index` of `stored`, checked against its checksum and decompressed.
    func stream(_ index: Int, of stored: UnsafeRawBufferPointer) throws(DecodeError) -> StreamBuffer {
        guard index < entries.count else {
            throw .malformed("stream \(index) asked of a block of \(entries.count)", at: 0)
        }
        return try stream(index, storedBytes: UnsafeRawBufferPointer(rebasing: stored[entries[index].range]))
    }

    /// Stream `index` from its own stored bytes (`entries[index].range` of the block), checked against its
    /// checksum and decompressed.
    func stream(_ index: Int, storedBytes bytes: UnsafeRawBufferPointer) throws(DecodeError) -> StreamBuffer {
        let entry = entries[index]
        guard bytes.count == entry.range.count else {
            throw .malformed("stream \(index) holds \(bytes.count) bytes, not \(entry.range.count)", at: 0)
        }
        guard CRC32C.checksum(bytes) == entry.checksum else {
            throw .malformed("stream \(index) checksum mismatch", at: entry.range.lowerBound)
        }
        return try StreamBuffer.decompressing(bytes, codec: entry.codec, expectedSize: entry.payloadLength)
    }
}
