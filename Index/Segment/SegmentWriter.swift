// See docs/segment-format.md
import Foundation

/// Builds one immutable segment file from records sorted by time.
///
/// The file is written under a temporary name, fsynced and renamed into place, so a reader never sees a
/// partial segment.
public struct SegmentWriter {
    public struct Options: Sendable {
        public var recordsPerBlock: Int
        public var codec: CompressionCodec
        public var zstdLevel: Int32

        public init(recordsPerBlock: Int = 2048, codec: CompressionCodec = .zstd, zstdLevel: Int32 = 3) {
            self.recordsPerBlock = recordsPerBlock
            self.codec = codec
            self.zstdLevel = zstdLevel
        }
    }

    public let options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Writes `records` (sorted by timestamp, oldest first) to `path` and returns the file's summary.
    @discardableResult
    public func write(_ records: [LogRecord], to path: String) throws(StorageError) -> SegmentSummary {
        precondition(!records.isEmpty, "a segment holds at least one record")
        let bytes = encode(records)
        try DurableFile.writeAtomically(bytes, to: path)
        return SegmentSummary(
            path: path,
            recordCount: records.count,
            minTime: records.first!.timestamp,
            maxTime: records.last!.timestamp,
            byteCount: bytes.count
        )
    }

    func encode(_ records: [LogRecord]) -> [UInt8] {
        var file = ByteWriter(reservingCapacity: records.count * 48)
        file.writeUInt64(SegmentFormat.magic)
        file.writeUInt32(SegmentFormat.version)
        file.writeUInt32(0)

        var directory = ByteWriter(reservingCapacity: (records.count / options.recordsPerBlock + 1) * 48)
        let compressor = ZstdCompressor(level: options.zstdLevel)
        var blockCount: UInt32 = 0
        var fieldRanges: [[BlockFieldRange]] = []
        var start = 0
        while start < records.count {
            let end = min(start + options.recordsPerBlock, records.count)
            let chunk = records[start..<end]
            let encoded = BlockCodec.encode(chunk)
            fieldRanges.append(encoded.ranges)
            let (stored, tableChecksum, payloadLength) = BlockStreamTable.store(
                encoded.streams, codec: options.codec, compressor: compressor)
            directory.writeUInt64(UInt64(file.count))
            directory.writeUInt32(UInt32(stored.count))
            directory.writeUInt32(tableChecksum)
            directory.writeUInt32(UInt32(start))
            directory.writeUInt32(UInt32(chunk.count))
            directory.writeInt64(chunk.map(\.timestamp).min()!)
            directory.writeInt64(chunk.map(\.timestamp).max()!)
            directory.write(options.codec.rawValue)
            directory.write([0, 0, 0])
            directory.writeUInt32(UInt32(payloadLength))
            file.write(stored)
            blockCount += 1
            start = end
        }

        let index = InvertedIndexCodec.encode(records, recordsPerBlock: options.recordsPerBlock)
        // The index: its chunks, each compressed and checksummed alone, then the chunk directory (raw),
        // which the footer's checksum covers and a reader keeps in memory.
        let indexOffset = file.count
        var chunkDirectory = ByteWriter(reservingCapacity: index.chunks.count * 48 + 16)
        chunkDirectory.writeVarint(index.termCount)
        chunkDirectory.writeVarint(index.chunks.count)
        for chunk in index.chunks {
            let compressed = chunk.payload.withUnsafeBytes { compressor.compress($0) }
            let stored = compressed ?? chunk.payload
            chunkDirectory.writeBytes(chunk.firstKey)
            chunkDirectory.writeVarint(chunk.termCount)
            chunkDirectory.write((compressed == nil ? CompressionCodec.none : .zstd).rawValue)
            chunkDirectory.writeVarint(stored.count)
            chunkDirectory.writeVarint(chunk.payload.count)
            chunkDirectory.writeUInt32(CRC32C.checksum(stored))
            file.write(stored)
        }
        file.write(chunkDirectory.bytes)
        let indexLength = file.count - indexOffset

        var filters = ByteWriter(reservingCapacity: index.rareTermHashes.reduce(0) { $0 + $1.count * 2 })
        for hashes in index.rareTermHashes {
            var filter = BlockFilter(termCount: hashes.count)
            for hash in hashes { filter.insert(hash) }
            filters.writeVarint(filter.words.count)
            filters.write(filter.hashCount)
            for word in filter.words { filters.writeUInt64(word) }
        }
        BlockFieldRange.write(fieldRanges, into: &filters)
        let filterOffset = file.count
        file.write(filters.bytes)

        let directoryOffset = file.count
        file.write(directory.bytes)

        var footer = ByteWriter(reservingCapacity: SegmentFormat.footerSize)
        footer.writeUInt64(UInt64(directoryOffset))
        footer.writeUInt64(UInt64(directory.count))
        footer.writeUInt64(UInt64(indexOffset))
        footer.writeUInt64(UInt64(indexLength))
        footer.writeUInt64(UInt64(filterOffset))
        footer.writeUInt64(UInt64(filters.count))
        footer.writeUInt64(UInt64(records.count))
        footer.writeInt64(records.first!.timestamp)
        footer.writeInt64(records.last!.timestamp)
        footer.writeUInt32(blockCount)
        footer.writeUInt32(CRC32C.checksum(directory.bytes))
        footer.writeUInt32(CRC32C.checksum(chunkDirectory.bytes))
        footer.writeUInt32(CRC32C.checksum(filters.bytes))
        footer.writeUInt32(UInt32(chunkDirectory.count))
        footer.write(CompressionCodec.zstd.rawValue)
        footer.write([0, 0, 0])
        footer.writeUInt32(SegmentFormat.version)
        footer.writeUInt32(0)
        footer.writeUInt32(CRC32C.checksum(footer.bytes))
        footer.writeUInt32(0)
        footer.writeUInt64(0)
        footer.writeUInt64(SegmentFormat.magic)
        assert(footer.count == SegmentFormat.footerSize)
        file.write(footer.bytes)
        return file.bytes
    }
}

/// What the manifest records about a segment file.
public struct SegmentSummary: Sendable, Equatable, Codable {
    public var path: String
    public var recordCount: Int
    public var minTime: Int64
    public var maxTime: Int64
    public var byteCount: Int

    public init(path: String, recordCount: Int, minTime: Int64, maxTime: Int64, byteCount: Int) {
        self.path = path
        self.recordCount = recordCount
        self.minTime = minTime
        self.maxTime = maxTime
        self.byteCount = byteCount
    }
}

extension SegmentSummary {
    /// `YYYY-MM-DD` and the retention class, read from the path `segments/DAY/CLASS/FILE`.
    public var day: String { pathComponent(fromEnd: 2) }
    public var retentionClass: String { pathComponent(fromEnd: 1) }

    private func pathComponent(fromEnd offset: Int) -> String {
        let parts = path.split(separator: "/")
        return parts.count > offset ? String(parts[parts.count - 1 - offset]) : ""
    }
}
