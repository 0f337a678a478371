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
        /// The message bytes a (service, level) pair needs in a block for a message group of its own
        /// (docs/segment-format.md, "Message groups"); tests lower it to split small blocks.
        public var messageGroupBytes: Int

        public init(
            recordsPerBlock: Int = 2048, codec: CompressionCodec = .zstd, zstdLevel: Int32 = 3,
            messageGroupBytes: Int = MessageGroups.minimumGroupBytes
        ) {
            self.recordsPerBlock = recordsPerBlock
            self.codec = codec
            self.zstdLevel = zstdLevel
            self.messageGroupBytes = messageGroupBytes
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
        let builder = try SegmentBuilder(path: path, options: options, expectedRecords: records.count)
        var start = 0
        while start < records.count {
            let end = min(start + options.recordsPerBlock, records.count)
            try builder.add(records[start..<end])
            start = end
        }
        return try builder.finish()
    }
}

/// Writes one segment file block by block, so that a merge never holds more than a block of records:
/// the blocks go to a temporary file as they come, the index is built as they come, and `finish`
/// appends the index, filters, directory and footer, fsyncs the file and renames it into place, so a
/// reader never sees a partial segment. A builder dropped before `finish` removes its temporary file.
final class SegmentBuilder {
    private let path: String
    private let temporary: String
    private let options: SegmentWriter.Options
    private var descriptor: Int32
    /// Bytes not yet written to the file, and how many were.
    private var pending: ByteWriter
    private var written = 0
    private var directory: ByteWriter
    private var fieldRanges: [[BlockFieldRange]] = []
    private var collector: IndexTermCollector?
    private let compressor: ZstdCompressor
    private var recordCount = 0
    private var blockCount = 0
    private var lastBlockWasFull = true
    private var minTime = Int64.max
    private var maxTime = Int64.min

    /// `expectedRecords` sizes the index builder's tables.
    init(path: String, options: SegmentWriter.Options, expectedRecords: Int) throws(StorageError) {
        self.path = path
        self.temporary = path + StoreFileNames.temporarySuffix
        self.options = options
        descriptor = try DurableFile.create(temporary)
        pending = ByteWriter(reservingCapacity: 1 << 20)
        pending.writeUInt64(SegmentFormat.magic)
        pending.writeUInt32(SegmentFormat.version)
        pending.writeUInt32(0)
        directory = ByteWriter(reservingCapacity: (expectedRecords / options.recordsPerBlock + 1) * 48)
        collector = IndexTermCollector(capacity: max(1 << 14, expectedRecords * 4))
        compressor = ZstdCompressor(level: options.zstdLevel)
    }

    deinit { abandon() }

    /// Appends one block of records, sorted by time and after every record added before. Every block but
    /// the last must hold `recordsPerBlock` records (an ordinal's block is its ordinal ÷ that).
    func add(_ block: ArraySlice<LogRecord>) throws(StorageError) {
        precondition(!block.isEmpty && block.count <= options.recordsPerBlock && lastBlockWasFull)
        lastBlockWasFull = block.count == options.recordsPerBlock
        let encoded = BlockCodec.encode(block, messageGroupBytes: options.messageGroupBytes)
        fieldRanges.append(encoded.ranges)
        let (stored, tableChecksum, payloadLength) = BlockStreamTable.store(
            encoded.streams, codec: options.codec, compressor: compressor)
        let blockMin = block.first!.timestamp
        let blockMax = block.last!.timestamp
        directory.writeUInt64(UInt64(written + pending.count))
        directory.writeUInt32(UInt32(stored.count))
        directory.writeUInt32(tableChecksum)
        directory.writeUInt32(UInt32(recordCount))
        directory.writeUInt32(UInt32(block.count))
        directory.writeInt64(blockMin)
        directory.writeInt64(blockMax)
        directory.write(options.codec.rawValue)
        directory.write([0, 0, 0])
        directory.writeUInt32(UInt32(payloadLength))
        pending.write(stored)
        block.withUnsafeBufferPointer { records in
            InvertedIndexCodec.collect(records, firstOrdinal: recordCount, into: &collector!)
        }
        recordCount += block.count
        blockCount += 1
        minTime = min(minTime, blockMin)
        maxTime = max(maxTime, blockMax)
        if pending.count >= 1 << 20 { try flushPending() }
    }

    private func flushPending() throws(StorageError) {
        try DurableFile.writeAll(pending.bytes, to: descriptor, path: temporary)
        written += pending.count
        pending = ByteWriter(reservingCapacity: 1 << 20)
    }

    /// Writes the rest of the file, makes it durable under `path`, and returns its summary.
    func finish() throws(StorageError) -> SegmentSummary {
        precondition(recordCount > 0, "a segment holds at least one record")
        let index = InvertedIndexCodec.finish(
            collector.take()!, recordCount: recordCount, recordsPerBlock: options.recordsPerBlock)
        // The index: its chunks, each compressed and checksummed alone, then the chunk directory (raw),
        // which the footer's checksum covers and a reader keeps in memory.
        let indexOffset = written + pending.count
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
            pending.write(stored)
            if pending.count >= 1 << 20 { try flushPending() }
        }
        pending.write(chunkDirectory.bytes)
        let indexLength = written + pending.count - indexOffset

        var filters = ByteWriter(reservingCapacity: index.rareTermHashes.reduce(0) { $0 + $1.count * 2 })
        for hashes in index.rareTermHashes {
            var filter = BlockFilter(termCount: hashes.count)
            for hash in hashes { filter.insert(hash) }
            filters.writeVarint(filter.words.count)
            filters.write(filter.hashCount)
            for word in filter.words { filters.writeUInt64(word) }
        }
        BlockFieldRange.write(fieldRanges, into: &filters)
        let filterOffset = written + pending.count
        pending.write(filters.bytes)

        let directoryOffset = written + pending.count
        pending.write(directory.bytes)

        var footer = ByteWriter(reservingCapacity: SegmentFormat.footerSize)
        footer.writeUInt64(UInt64(directoryOffset))
        footer.writeUInt64(UInt64(directory.count))
        footer.writeUInt64(UInt64(indexOffset))
        footer.writeUInt64(UInt64(indexLength))
        footer.writeUInt64(UInt64(filterOffset))
        footer.writeUInt64(UInt64(filters.count))
        footer.writeUInt64(UInt64(recordCount))
        footer.writeInt64(minTime)
        footer.writeInt64(maxTime)
        footer.writeUInt32(UInt32(blockCount))
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
        pending.write(footer.bytes)
        try flushPending()

        try DurableFile.sync(descriptor, path: temporary, operation: "fsync")
        close(descriptor)
        descriptor = -1
        do throws(StorageError) {
            try DurableFile.rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
        try DurableFile.syncDirectory(containing: path)
        return SegmentSummary(
            path: path, recordCount: recordCount, minTime: minTime, maxTime: maxTime, byteCount: written)
    }

    /// Drops the temporary file (after a failure, or when the builder is dropped unfinished).
    private func abandon() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
        unlink(temporary)
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
