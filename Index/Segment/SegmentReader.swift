// See docs/segment-format.md
import Foundation

/// An open, verified segment file. Immutable and safe to share between queries.
public final class SegmentReader: Sendable {
    public struct BlockInfo: Sendable {
        public let offset: Int
        public let storedLength: Int
        public let checksum: UInt32
        public let firstOrdinal: Int
        public let recordCount: Int
        public let minTime: Int64
        public let maxTime: Int64
        public let codec: CompressionCodec
        public let payloadLength: Int
    }

    public let path: String
    /// The file's format version: blocks of version 3 are stored as streams, earlier ones as one payload.
    public let version: UInt32
    public let recordCount: Int
    public let minTime: Int64
    public let maxTime: Int64
    public let blocks: [BlockInfo]
    public let byteCount: Int
    /// The size of the stored (compressed) index section, for the disk-budget figures.
    public let indexByteCount: Int
    private let file: ReadOnlyFile
    private let cacheID = BlockCache.newReaderID()
    /// The term dictionary: a format 1 or 2 index whole in memory, or a format 3 index's chunk directory.
    private let terms: Terms

    private enum Terms {
        case whole(payload: [UInt8], locations: [String: InvertedIndexCodec.PostingsLocation])
        case chunked(IndexChunkDirectory)
    }
    /// One per block: the terms held by a single record of the segment.
    let filters: [BlockFilter]
    /// One per block: the numbers each free field holds there (format 2); nil for a version 1 file.
    public let fieldRanges: [[BlockFieldRange]]?

    /// Opens `path` and checks its magic, version, footer, directory and index checksums. Block checksums
    /// are checked when a block is read.
    public init(path: String) throws(StorageError) {
        self.path = path
        let file = try ReadOnlyFile(path: path)
        self.file = file
        self.byteCount = file.size
        let parsed = try Self.parse(file)
        version = parsed.version
        recordCount = parsed.recordCount
        minTime = parsed.minTime
        maxTime = parsed.maxTime
        blocks = parsed.blocks
        terms = parsed.terms
        indexByteCount = parsed.indexStoredLength
        filters = parsed.filters
        fieldRanges = parsed.fieldRanges
    }

    private struct Parsed {
        var version: UInt32
        var recordCount: Int
        var minTime: Int64
        var maxTime: Int64
        var blocks: [BlockInfo]
        var terms: Terms
        var indexStoredLength: Int
        var filters: [BlockFilter]
        var fieldRanges: [[BlockFieldRange]]?
    }

    /// Reads the header, the footer, and the sections between the blocks and the footer (index, filters,
    /// block directory: one read), and checks them. Blocks are read when a query asks for them.
    private static func parse(_ file: ReadOnlyFile) throws(StorageError) -> Parsed {
        let path = file.path
        let fileSize = file.size
        func corrupt(_ reason: String, _ offset: Int) -> StorageError {
            .corruption(file: path, offset: offset, reason: reason)
        }
        guard fileSize >= SegmentFormat.headerSize + SegmentFormat.footerSize else {
            throw corrupt("file is shorter than a header and a footer", 0)
        }
        let footerStart = fileSize - SegmentFormat.footerSize
        // Both ends in one buffer that outlives the readers below.
        let ends = UnsafeMutableRawBufferPointer.allocate(
            byteCount: SegmentFormat.headerSize + SegmentFormat.footerSize, alignment: 8)
        defer { ends.deallocate() }
        ends.copyBytes(
            from: try file.read(at: 0, count: SegmentFormat.headerSize)
                + file.read(at: footerStart, count: SegmentFormat.footerSize))
        let headerBytes = UnsafeRawBufferPointer(rebasing: ends[..<SegmentFormat.headerSize])
        let footerBytes = UnsafeRawBufferPointer(rebasing: ends[SegmentFormat.headerSize...])
        // Where the buffer being decoded starts in the file, for the footer's errors; sections' errors give
        // their offset within the section, as fsck reports them.
        var base = 0
        do {
            var header = ByteReader(headerBytes)
            guard try header.readUInt64() == SegmentFormat.magic else { throw corrupt("bad magic number in header", 0) }
            let headerVersion = try header.readUInt32()
            guard headerVersion <= SegmentFormat.version else {
                throw StorageError.unsupportedVersion(file: path, version: headerVersion)
            }

            base = footerStart
            var footer = ByteReader(footerBytes)
            let directoryOffset = try footer.readOffset(within: fileSize)
            let directoryLength = try footer.readOffset(within: fileSize)
            let indexOffset = try footer.readOffset(within: fileSize)
            let indexLength = try footer.readOffset(within: fileSize)
            let filterOffset = try footer.readOffset(within: fileSize)
            let filterLength = try footer.readOffset(within: fileSize)
            let recordCount = try footer.readOffset(within: Int(Int32.max) * 1024)
            let minTime = try footer.readInt64()
            let maxTime = try footer.readInt64()
            let blockCount = Int(try footer.readUInt32())
            let directoryChecksum = try footer.readUInt32()
            let indexChecksum = try footer.readUInt32()
            let filterChecksum = try footer.readUInt32()
            let indexPayloadLength = Int(try footer.readUInt32())
            let indexCodecRaw = try footer.readUInt8()
            try footer.skip(3)
            let version = try footer.readUInt32()
            try footer.skip(4)
            let checkedLength = footer.offset
            let footerChecksum = try footer.readUInt32()
            try footer.skip(12)
            let trailingMagic = try footer.readUInt64()

            guard trailingMagic == SegmentFormat.magic else {
                throw corrupt("bad magic number in footer", fileSize - 8)
            }
            let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: footerBytes[..<checkedLength]))
            guard computed == footerChecksum else { throw corrupt("footer checksum mismatch", footerStart) }
            guard version <= SegmentFormat.version else {
                throw StorageError.unsupportedVersion(file: path, version: version)
            }
            guard version == headerVersion else { throw corrupt("header and footer versions differ", footerStart) }
            guard directoryOffset >= SegmentFormat.headerSize,
                directoryLength == blockCount * SegmentFormat.directoryEntrySize,
                directoryOffset + directoryLength <= footerStart,
                indexOffset >= SegmentFormat.headerSize, indexOffset + indexLength <= filterOffset,
                filterOffset + filterLength <= directoryOffset,
                let indexCodec = CompressionCodec(rawValue: indexCodecRaw)
            else { throw corrupt("footer offsets do not fit the file", footerStart) }

            // Index, filters and directory lie between the blocks and the footer, in that order. Of a
            // format 3 index only the chunk directory at its end is read (the footer's "index payload
            // length" is its length); chunks are read when a lookup needs them.
            let chunked = version >= 3
            guard !chunked || indexPayloadLength <= indexLength else {
                throw corrupt("footer offsets do not fit the file", footerStart)
            }
            let readStart = chunked ? indexOffset + indexLength - indexPayloadLength : indexOffset
            let sections = try file.read(at: readStart, count: footerStart - readStart)
            return try sections.withUnsafeBytes { (raw) throws -> Parsed in
                base = 0
                func section(_ offset: Int, _ length: Int) -> UnsafeRawBufferPointer {
                    UnsafeRawBufferPointer(rebasing: raw[(offset - readStart)..<(offset - readStart + length)])
                }
                let filterBytes = section(filterOffset, filterLength)
                guard CRC32C.checksum(filterBytes) == filterChecksum else {
                    throw corrupt("block filter checksum mismatch", filterOffset)
                }
                var filterReader = ByteReader(filterBytes)
                var filters: [BlockFilter] = []
                filters.reserveCapacity(blockCount)
                for _ in 0..<blockCount {
                    let wordCount = try filterReader.readLength()
                    let hashCount = try filterReader.readUInt8()
                    var words: [UInt64] = []
                    words.reserveCapacity(wordCount)
                    for _ in 0..<wordCount { words.append(try filterReader.readUInt64()) }
                    filters.append(BlockFilter(words: words, hashCount: hashCount))
                }
                var fieldRanges: [[BlockFieldRange]]?
                if headerVersion >= 2 {
                    fieldRanges = try BlockFieldRange.read(blockCount: blockCount, from: &filterReader)
                }
                guard filterReader.isAtEnd else {
                    throw corrupt("bytes left after the last block filter", filterOffset)
                }

                let directoryBytes = section(directoryOffset, directoryLength)
                guard CRC32C.checksum(directoryBytes) == directoryChecksum else {
                    throw corrupt("block directory checksum mismatch", directoryOffset)
                }
                var directory = ByteReader(directoryBytes)
                var blocks: [BlockInfo] = []
                blocks.reserveCapacity(blockCount)
                var expectedOrdinal = 0
                for _ in 0..<blockCount {
                    let offset = try directory.readOffset(within: fileSize)
                    let storedLength = Int(try directory.readUInt32())
                    let checksum = try directory.readUInt32()
                    let firstOrdinal = Int(try directory.readUInt32())
                    let count = Int(try directory.readUInt32())
                    let blockMin = try directory.readInt64()
                    let blockMax = try directory.readInt64()
                    let codecRaw = try directory.readUInt8()
                    try directory.skip(3)
                    let payloadLength = Int(try directory.readUInt32())
                    guard let codec = CompressionCodec(rawValue: codecRaw), firstOrdinal == expectedOrdinal, count > 0,
                        offset >= SegmentFormat.headerSize, offset + storedLength <= indexOffset
                    else {
                        throw corrupt("block directory entry does not fit the file", directoryOffset + directory.offset)
                    }
                    expectedOrdinal += count
                    blocks.append(
                        BlockInfo(
                            offset: offset, storedLength: storedLength, checksum: checksum, firstOrdinal: firstOrdinal,
                            recordCount: count, minTime: blockMin, maxTime: blockMax, codec: codec,
                            payloadLength: payloadLength))
                }
                guard expectedOrdinal == recordCount else {
                    throw corrupt("blocks do not add up to the record count", footerStart)
                }

                let terms: Terms
                if chunked {
                    let chunkDirectory = section(readStart, indexPayloadLength)
                    guard CRC32C.checksum(chunkDirectory) == indexChecksum else {
                        throw corrupt("index checksum mismatch", readStart)
                    }
                    let directory: IndexChunkDirectory
                    do {
                        directory = try IndexChunkDirectory(
                            parsing: chunkDirectory, chunksStart: indexOffset, chunksEnd: readStart)
                    } catch {
                        throw corrupt("index chunk directory: \(error.decodeReason)", readStart)
                    }
                    try Self.verifyChunks(of: directory, in: file)
                    terms = .chunked(directory)
                } else {
                    let indexStored = section(indexOffset, indexLength)
                    guard CRC32C.checksum(indexStored) == indexChecksum else {
                        throw corrupt("index checksum mismatch", indexOffset)
                    }
                    let indexPayload: [UInt8]
                    do {
                        indexPayload = try Compression.decompress(
                            indexStored, codec: indexCodec, expectedSize: indexPayloadLength)
                    } catch {
                        throw corrupt("index section: \(error.decodeReason)", indexOffset)
                    }
                    do {
                        let locations = try indexPayload.withUnsafeBytes { (payload) throws(DecodeError) in
                            try InvertedIndexCodec.decodeDictionary(payload)
                        }
                        terms = .whole(payload: indexPayload, locations: locations)
                    } catch {
                        let reason =
                            (error as? DecodeError).map { "\($0.reason) (payload byte \($0.offset))" } ?? "\(error)"
                        throw corrupt("index section: \(reason)", indexOffset)
                    }
                }
                return Parsed(
                    version: version, recordCount: recordCount, minTime: minTime, maxTime: maxTime, blocks: blocks,
                    terms: terms, indexStoredLength: indexLength + filterLength, filters: filters,
                    fieldRanges: fieldRanges)
            }
        } catch let error as DecodeError {
            throw corrupt(error.reason, base + error.offset)
        } catch let error as StorageError {
            throw error
        } catch {
            throw corrupt("\(error)", 0)
        }
    }

    /// Checks every index chunk's checksum, reading a few megabytes at a time, so that a damaged index is
    /// found when the segment opens (and the segment set aside) as when the index was read whole.
    private static func verifyChunks(of directory: IndexChunkDirectory, in file: ReadOnlyFile) throws(StorageError) {
        var first = 0
        while first < directory.entries.count {
            var last = first
            let start = directory.entries[first].range.lowerBound
            while last + 1 < directory.entries.count, directory.entries[last + 1].range.upperBound - start <= 8 << 20 {
                last += 1
            }
            let bytes = try file.read(at: start, count: directory.entries[last].range.upperBound - start)
            let damaged = bytes.withUnsafeBytes { bytes in
                (first...last).first { chunk in
                    let range = directory.entries[chunk].range
                    let stored = UnsafeRawBufferPointer(
                        rebasing: bytes[(range.lowerBound - start)..<(range.upperBound - start)])
                    return CRC32C.checksum(stored) != directory.entries[chunk].checksum
                }
            }
            if let damaged {
                throw .corruption(
                    file: file.path, offset: directory.entries[damaged].range.lowerBound,
                    reason: "index chunk \(damaged): checksum mismatch")
            }
            first = last + 1
        }
    }

    deinit { BlockCache.shared.evict(reader: cacheID) }

    /// Where the records holding a term are.
    public enum TermLookup: Equatable, Sendable {
        /// Exactly these records (ordinals, ascending).
        case postings([UInt32])
        /// A term of at most one record: it may be in these blocks (Bloom filters; verify the records).
        case blocks([Int])
    }

    public func lookup(_ term: Term) throws(StorageError) -> TermLookup {
        if let postings = try listedPostings(Array(term.dictionaryKey.utf8)) { return .postings(postings) }
        let hash = BlockFilter.hash(term.key)
        return .blocks(filters.indices.filter { filters[$0].mayContain(hash) })
    }

    /// The ordinals of the records that hold `term` if it has a posting list (held by two records or
    /// more), ascending; empty otherwise — use `lookup` to find rare terms too.
    public func postings(for term: Term) throws(StorageError) -> [UInt32] {
        try listedPostings(Array(term.dictionaryKey.utf8)) ?? []
    }

    /// The postings of the term with `key` if the dictionary lists it.
    private func listedPostings(_ key: [UInt8]) throws(StorageError) -> [UInt32]? {
        switch terms {
        case .whole(let payload, let locations):
            guard let location = locations[String(decoding: key, as: UTF8.self)] else { return nil }
            return try postings(in: payload, at: location)
        case .chunked(let directory):
            guard let chunk = directory.chunk(for: key) else { return nil }
            var found: [UInt32]?
            try scanChunk(chunk, of: directory) { (scanned, payload, location) throws(StorageError) -> Bool in
                guard !scanned.lexicographicallyPrecedes(key) else { return true }
                if scanned == key {
                    found = try postings(in: payload, at: location, chunk: chunk, of: directory)
                }
                return false
            }
            return found
        }
    }

    /// Calls `body` with each listed term whose key starts with `prefix`, and its postings.
    private func forEachListedTerm(
        withPrefix prefix: [UInt8], _ body: ([UInt8], [UInt32]) throws(StorageError) -> Void
    ) throws(StorageError) {
        switch terms {
        case .whole(let payload, let locations):
            for (key, location) in locations where key.utf8.starts(with: prefix) {
                try body(Array(key.utf8), try postings(in: payload, at: location))
            }
        case .chunked(let directory):
            var chunk = directory.chunk(for: prefix) ?? 0
            var more = true
            while more && chunk < directory.entries.count {
                try scanChunk(chunk, of: directory) { (key, payload, location) throws(StorageError) -> Bool in
                    if key.starts(with: prefix) {
                        try body(key, try postings(in: payload, at: location, chunk: chunk, of: directory))
                    } else if prefix.lexicographicallyPrecedes(key) {
                        more = false
                        return false
                    }
                    return true
                }
                chunk += 1
            }
        }
    }

    /// Scans chunk `chunk`'s terms in key order while `body` returns true.
    private func scanChunk(
        _ chunk: Int, of directory: IndexChunkDirectory,
        _ body: ([UInt8], UnsafeRawBufferPointer, InvertedIndexCodec.PostingsLocation) throws(StorageError) -> Bool
    ) throws(StorageError) {
        let entry = directory.entries[chunk]
        let buffer = try indexChunk(chunk, of: directory)
        var scanner = IndexChunkScanner(buffer.bytes, termCount: entry.termCount)
        var first = true
        func corrupt(_ reason: String) -> StorageError {
            .corruption(file: path, offset: entry.range.lowerBound, reason: "index chunk \(chunk): \(reason)")
        }
        try withExtendedLifetime(buffer) { () throws(StorageError) in
            while true {
                let location: InvertedIndexCodec.PostingsLocation?
                do throws(DecodeError) {
                    location = try scanner.next()
                } catch {
                    throw corrupt(error.reason)
                }
                guard let location else { return }
                if first {
                    guard scanner.key == entry.firstKey else { throw corrupt("first key differs from the directory's") }
                    first = false
                }
                guard try body(scanner.key, buffer.bytes, location) else { return }
            }
        }
    }

    /// Index chunk `chunk`, from the block cache or read, checked and decompressed.
    private func indexChunk(_ chunk: Int, of directory: IndexChunkDirectory) throws(StorageError) -> StreamBuffer {
        // Chunks share the block cache with blocks, under negative block numbers.
        let cacheBlock = -1 - chunk
        if let cached = BlockCache.shared.stream(reader: cacheID, block: cacheBlock, stream: 0) { return cached }
        let entry = directory.entries[chunk]
        let stored = try file.read(at: entry.range.lowerBound, count: entry.range.count)
        let result = stored.withUnsafeBytes { (stored) -> Result<StreamBuffer, DecodeError> in
            do throws(DecodeError) {
                guard CRC32C.checksum(stored) == entry.checksum else { throw .malformed("checksum mismatch", at: 0) }
                return .success(
                    try StreamBuffer.decompressing(stored, codec: entry.codec, expectedSize: entry.payloadLength))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let buffer):
            BlockCache.shared.insert(buffer, reader: cacheID, block: cacheBlock, stream: 0)
            return buffer
        case .failure(let error):
            throw .corruption(
                file: path, offset: entry.range.lowerBound, reason: "index chunk \(chunk): \(error.reason)")
        }
    }

    /// The postings at `location`, found while scanning chunk `chunk`: in its payload, or in the earlier
    /// chunk that holds a list the term shares.
    private func postings(
        in payload: UnsafeRawBufferPointer, at location: InvertedIndexCodec.PostingsLocation, chunk: Int,
        of directory: IndexChunkDirectory
    ) throws(StorageError) -> [UInt32] {
        guard let shared = location.chunk, shared != chunk else { return try postings(in: payload, at: location) }
        guard shared < chunk else {
            throw .corruption(
                file: path, offset: directory.entries[chunk].range.lowerBound,
                reason: "index chunk \(chunk): a shared posting list in a later chunk (\(shared))")
        }
        let buffer = try indexChunk(shared, of: directory)
        return try withExtendedLifetime(buffer) { () throws(StorageError) in
            try postings(in: buffer.bytes, at: location)
        }
    }

    private func postings(
        in payload: UnsafeRawBufferPointer, at location: InvertedIndexCodec.PostingsLocation
    ) throws(StorageError) -> [UInt32] {
        do {
            return try InvertedIndexCodec.decodePostings(payload, at: location, recordCount: recordCount)
        } catch {
            throw .corruption(file: path, offset: location.offset, reason: "postings of a term: \(error.reason)")
        }
    }

    private func postings(
        in payload: [UInt8], at location: InvertedIndexCodec.PostingsLocation
    ) throws(StorageError) -> [UInt32] {
        let result = payload.withUnsafeBytes { (payload) -> Result<[UInt32], DecodeError> in
            do throws(DecodeError) {
                return .success(try InvertedIndexCodec.decodePostings(payload, at: location, recordCount: recordCount))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let postings): return postings
        case .failure(let error):
            throw .corruption(file: path, offset: location.offset, reason: "postings of a term: \(error.reason)")
        }
    }

    /// The fields every record holds at most one value of (`LogRecord`'s columns).
    public static let columnFields: Set<String> = ["level", "service", "host", "source"]

    /// The values of a column field (`level`, `service`, `host`, `source`) that have posting lists, with
    /// their postings, so that a count by that field can be read from the index. A value held by a single
    /// record of the segment, or longer than the index's limit, is not among them.
    public func indexedValues(ofColumn field: String) throws(StorageError) -> [(value: String, postings: [UInt32])] {
        let prefix = Array(field.utf8) + [Term.separator]
        var values: [(value: String, postings: [UInt32])] = []
        try forEachListedTerm(withPrefix: prefix) { (key, postings) throws(StorageError) in
            values.append((String(decoding: key[prefix.count...], as: UTF8.self), postings))
        }
        return values
    }

    /// How many distinct terms the index lists.
    public var termCount: Int {
        switch terms {
        case .whole(_, let locations): locations.count
        case .chunked(let directory): directory.termCount
        }
    }

    /// Every listed term's key with its postings, for the invariant checker.
    func listedTerms() throws(StorageError) -> [String: [UInt32]] {
        var listed: [String: [UInt32]] = [:]
        try forEachListedTerm(withPrefix: []) { (key, postings) throws(StorageError) in
            listed[String(decoding: key, as: UTF8.self)] = postings
        }
        return listed
    }

    /// The block that holds `ordinal`.
    public func blockIndex(containing ordinal: Int) -> Int {
        var low = 0
        var high = blocks.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if blocks[middle].firstOrdinal <= ordinal { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// Reads, verifies and decodes one block's records.
    public func readBlock(_ index: Int) throws(StorageError) -> [LogRecord] {
        let block = blocks[index]
        let records = try decodeRecords(of: index, rows: nil, messages: true, fields: nil)
        guard records.count == block.recordCount else {
            throw .corruption(
                file: path, offset: block.offset,
                reason: "block \(index) holds \(records.count) records, directory says \(block.recordCount)")
        }
        return records
    }

    /// The records at `rows` (ascending positions within the block), verified like `readBlock`.
    /// `messages: false` leaves every message empty, and `fields` keeps only the free fields of those
    /// names: an aggregation reads one or two of a dozen, and in a version 3 file the others' streams are
    /// not even decompressed.
    public func readRecords(
        _ index: Int, rows: [Int], messages: Bool = true, fields: Set<String>? = nil
    ) throws(StorageError) -> [LogRecord] {
        try decodeRecords(of: index, rows: rows, messages: messages, fields: fields)
    }

    private func decodeRecords(
        of index: Int, rows: [Int]?, messages: Bool, fields: Set<String>?
    ) throws(StorageError) -> [LogRecord] {
        guard version >= 3 else {
            return try withStream(BlockCodec.columnsStream, of: index) { (payload) throws(DecodeError) in
                try LegacyBlockCodec.decode(payload, rows: rows, messages: messages, fields: fields)
            }
        }
        var loader = BlockLoader(segment: self, block: index, wantsMost: fields == nil)
        let layout = try loader.stream(BlockCodec.layoutStream)
        let columns = try loader.decoding(BlockCodec.columnsStream) { (stream) throws(DecodeError) in
            try withExtendedLifetime(layout) { () throws(DecodeError) in
                try BlockCodec.decodeColumns(stream, layout: layout.bytes, version: version)
            }
        }
        try loader.checkStreamCount(
            streamCount(names: columns.names.count, groups: columns.messageGroupCount), names: columns.names.count)
        let groups =
            messages && version >= 4
            ? MessageGroupNumbers(
                try messageGroups(
                    &loader, services: columns.services.codes, serviceCount: columns.services.dictionary.count,
                    levels: columns.levels.map { Int($0?.rawValue ?? 0) }, groupCount: columns.messageGroupCount))
            : nil
        let loaded =
            messages
            ? try loadMessages(
                &loader, rows: rows, count: columns.count, groups: groups, nameCount: columns.names.count,
                groupCount: columns.messageGroupCount) : nil
        var fieldStreams: [StreamBuffer?] = []
        fieldStreams.reserveCapacity(columns.names.count)
        for (code, name) in columns.names.enumerated() {
            fieldStreams.append(
                fields?.contains(name) ?? true ? try loader.stream(BlockCodec.firstFieldStream + code) : nil)
        }
        return try loader.decoding { () throws(DecodeError) in
            // The buffers stay alive in `fieldStreams` and `loaded` for the whole call.
            try withExtendedLifetime((loaded?.buffers, fieldStreams)) { () throws(DecodeError) in
                try BlockCodec.records(
                    columns, rows: rows, messages: loaded?.messages, fieldStreams: fieldStreams.map { $0?.bytes })
            }
        }
    }

    /// Calls `body` with each record's message bytes (those of `rows` at least, ascending positions; all
    /// when nil; the others may be empty): in a version 4 or 5 block only the message groups that hold the
    /// rows are decompressed.
    public func withMessageBytes<T>(
        _ index: Int, rows: [Int]?, _ body: ([UnsafeRawBufferPointer]) -> T
    ) throws(StorageError) -> T {
        let block = blocks[index]
        guard version >= 3 else {
            return try withStream(BlockCodec.columnsStream, of: index) { (payload) throws(DecodeError) -> T in
                let ranges = try LegacyBlockCodec.messageRanges(payload)
                guard ranges.count == block.recordCount else {
                    throw DecodeError.malformed("block record count mismatch", at: 0)
                }
                return body(ranges.map { UnsafeRawBufferPointer(rebasing: payload[$0]) })
            }
        }
        // A scan's streams are only offered to the block cache (a regex over ten million records reads more
        // than it holds, and would push out what other queries use: see `BlockCache.offerScanned`); each
        // record's group is kept.
        var loader = BlockLoader(segment: self, block: index, caches: false)
        guard version >= 4 else {
            let loaded = try loadMessages(
                &loader, rows: rows, count: block.recordCount, groups: nil, nameCount: 0, groupCount: 0)
            return withExtendedLifetime(loaded.buffers) { body(loaded.messages) }
        }
        let groupIndex = try messageGroupIndex(&loader)
        let loaded = try loadMessages(
            &loader, rows: rows, count: block.recordCount, groups: groupIndex.groups, nameCount: groupIndex.nameCount,
            groupCount: groupIndex.groupCount)
        // Checked when the table was read (the index and the streams may all come from the cache).
        try loader.checkStreamCount(
            streamCount(names: groupIndex.nameCount, groups: groupIndex.groupCount), names: groupIndex.nameCount)
        return withExtendedLifetime(loaded.buffers) { body(loaded.messages) }
    }

    /// The rows of block `index` (ascending positions) whose message passes `check`. With
    /// `firstLineSuffices` (the caller knows that a message passes whenever its first line does: words,
    /// phrases, a regex that looks at nothing past its match), a version 5 block is checked on first lines,
    /// and only the messages that fail there and go on past them are checked whole, from their group's
    /// rests: a group's stack traces are decompressed only for such candidates.
    ///
    /// `requiredWord`: a word (lower-cased, as `Tokenizer` gives it) that every passing message holds. A
    /// stream without it as a substring (`Tokenizer.mayHoldWord`) is passed over whole: a rare word's
    /// Bloom filters send a lookup to ~1% of blocks that do not hold it, and splitting each of their
    /// messages into words was most of the time of a word that matches nothing.
    public func rows(
        _ index: Int, rows: [Int], passing check: (UnsafeRawBufferPointer) -> Bool, firstLineSuffices: Bool,
        requiredWord: [UInt8]? = nil
    ) throws(StorageError) -> [Int] {
        guard firstLineSuffices, version >= 5 else {
            return try withMessageBytes(index, rows: rows) { messages in rows.filter { check(messages[$0]) } }
        }
        let count = blocks[index].recordCount
        var loader = BlockLoader(segment: self, block: index, caches: false)
        let groupIndex = try messageGroupIndex(&loader)
        // With `requiredWord`: whether the rows' first lines hold it (nil: no word to look for).
        var headsMayPass: Bool?
        if let requiredWord {
            // Every row's message lies in its group's streams: none holding the word, no row passes, known
            // before a message is placed or split. First lines first: the rests (stack traces) are read only
            // when no first line holds the word; only the rows' groups, which the checks would read anyway.
            var wanted = [Bool](repeating: false, count: groupIndex.groupCount)
            for row in rows where row >= 0 && row < count {
                let group = groupIndex.groups[row]
                if group >= 0 && group < wanted.count { wanted[group] = true }
            }
            func anyStreamHolds(rests: Bool) throws(StorageError) -> Bool {
                for group in 0..<groupIndex.groupCount where wanted[group] {
                    let stream = try loader.stream(messageStream(group, names: groupIndex.nameCount, rests: rests))
                    if Tokenizer.mayHoldWord(requiredWord, in: stream.bytes) { return true }
                }
                return false
            }
            let heads = try anyStreamHolds(rests: false)
            if !heads, try !anyStreamHolds(rests: true) { return [] }
            headsMayPass = heads
        }
        let loaded = try loadMessages(
            &loader, rows: rows, count: count, groups: groupIndex.groups, nameCount: groupIndex.nameCount,
            groupCount: groupIndex.groupCount, headsOnly: true)
        try loader.checkStreamCount(
            streamCount(names: groupIndex.nameCount, groups: groupIndex.groupCount), names: groupIndex.nameCount)
        var passed: [Int] = []
        var unsureByGroup: [Int: [Int]] = [:]
        withExtendedLifetime(loaded.buffers) {
            for row in rows where row >= 0 && row < count {
                let group = groupIndex.groups[row]
                if headsMayPass != false && check(loaded.messages[row]) {
                    passed.append(row)
                } else if loaded.groupHasRest[group][Int(loaded.positions[row])] {
                    unsureByGroup[group, default: []].append(row)
                }
            }
        }
        guard !unsureByGroup.isEmpty else { return passed }
        var whole: [UInt8] = []
        for (group, unsure) in unsureByGroup.sorted(by: { $0.key < $1.key }) {
            let restStream = try loader.stream(messageStream(group, names: groupIndex.nameCount, rests: true))
            // A word cannot span the LF between a first line and its rest: neither holding it, no message does.
            if headsMayPass == false, let requiredWord, !Tokenizer.mayHoldWord(requiredWord, in: restStream.bytes) {
                continue
            }
            let rests = try loader.decoding { () throws(DecodeError) in
                try HeadsAndRests.rests(restStream.bytes, hasRest: loaded.groupHasRest[group])
            }
            withExtendedLifetime((loaded.buffers, restStream)) {
                for row in unsure {
                    guard let rest = rests[Int(loaded.positions[row])] else { continue }
                    whole.removeAll(keepingCapacity: true)
                    whole.append(contentsOf: loaded.messages[row])
                    whole.append(0x0A)
                    whole.append(contentsOf: UnsafeRawBufferPointer(rebasing: restStream.bytes[rest]))
                    if whole.withUnsafeBytes(check) { passed.append(row) }
                }
            }
        }
        return passed.sorted()
    }

    /// Streams per message group: one in version 4, heads and rests in version 5 (see `HeadsAndRests`).
    var streamsPerMessageGroup: Int { version >= 5 ? 2 : 1 }

    /// How many streams a version 3 to 5 block of `names` field names and `groups` message groups holds.
    func streamCount(names: Int, groups: Int) -> Int {
        BlockCodec.firstFieldStream + names + groups * streamsPerMessageGroup
    }

    /// The stream of message group `group`'s messages (version 4) or first lines (version 5), or of its
    /// rests (version 5), in a block of `names` field names.
    func messageStream(_ group: Int, names: Int, rests: Bool = false) -> Int {
        BlockCodec.firstFieldStream + names + group * streamsPerMessageGroup + (rests ? 1 : 0)
    }

    /// Where a version 4 or 5 block's messages are: each record's group, and the numbers of groups and
    /// field names (which give each group's streams: `messageStream`).
    struct MessageGroupIndex {
        var groups: MessageGroupNumbers
        var groupCount: Int
        var nameCount: Int
    }

    /// The block cache's stream number for a block's `MessageGroupIndex` (one byte per record, after two
    /// UInt32 counts): derived from the columns stream and the group map, and far smaller than them.
    static let messageGroupIndexCacheStream = -1

    /// The block's `MessageGroupIndex`, from the block cache or from its columns and group map (then
    /// cached when it has at most 256 groups).
    private func messageGroupIndex(_ loader: inout BlockLoader) throws(StorageError) -> MessageGroupIndex {
        let block = loader.block
        if let cached = BlockCache.shared.stream(
            reader: cacheID, block: block, stream: Self.messageGroupIndexCacheStream)
        {
            let bytes = cached.bytes
            let nameCount = Int(bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            let groupCount = Int(bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            return MessageGroupIndex(
                groups: MessageGroupNumbers(cached: cached), groupCount: groupCount,
                nameCount: nameCount)
        }
        let keys = try loader.decoding(BlockCodec.columnsStream) { (stream) throws(DecodeError) in
            try BlockCodec.decodeMessageKeys(stream, version: version)
        }
        guard keys.services.count == blocks[block].recordCount else {
            throw .corruption(
                file: path, offset: blocks[block].offset,
                reason:
                    "block \(block) holds \(keys.services.count) records, directory says \(blocks[block].recordCount)")
        }
        let groups = try messageGroups(
            &loader, services: keys.services, serviceCount: keys.serviceCount, levels: keys.levels,
            groupCount: keys.groupCount)
        if keys.groupCount <= 256 {
            var blob = [UInt8](repeating: 0, count: 8 + groups.count)
            blob.withUnsafeMutableBytes {
                $0.storeBytes(of: UInt32(keys.nameCount), toByteOffset: 0, as: UInt32.self)
                $0.storeBytes(of: UInt32(keys.groupCount), toByteOffset: 4, as: UInt32.self)
            }
            for (record, group) in groups.enumerated() { blob[8 + record] = UInt8(group) }
            BlockCache.shared.insert(
                StreamBuffer.copying(blob), reader: cacheID, block: block, stream: Self.messageGroupIndexCacheStream)
        }
        return MessageGroupIndex(
            groups: MessageGroupNumbers(groups), groupCount: keys.groupCount, nameCount: keys.nameCount)
    }

    /// Each record's message group in a version 4 block, from its group map.
    private func messageGroups(
        _ loader: inout BlockLoader, services: [Int], serviceCount: Int, levels: [Int], groupCount: Int
    ) throws(StorageError) -> [Int] {
        let map = try loader.decoding(BlockCodec.messagesStream) { (stream) throws(DecodeError) in
            try MessageGroups(parsing: stream, serviceCount: serviceCount, groupCount: groupCount)
        }
        return map.groups(services: services, levels: levels)
    }

    /// The message bytes of a version 3 or 4 block's `count` records (of `rows` at least), and the
    /// decompressed streams that hold them (alive as long as the bytes are used). `groups` is each
    /// record's message group (version 4; nil before).
    /// With `headsOnly`, a version 5 block gives each message's first line alone, and `groupHasRest` says
    /// which go on after it.
    private func loadMessages(
        _ loader: inout BlockLoader, rows: [Int]?, count: Int, groups: MessageGroupNumbers?, nameCount: Int,
        groupCount: Int,
        headsOnly: Bool = false
    ) throws(StorageError) -> LoadedMessages {
        var messages = [UnsafeRawBufferPointer](repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: count)
        guard let groups else {
            let stream = try loader.stream(BlockCodec.messagesStream)
            let ranges = try loader.decoding { () throws(DecodeError) in
                try BlockCodec.messageRanges(stream.bytes, count: count)
            }
            for record in 0..<count {
                messages[record] = UnsafeRawBufferPointer(rebasing: stream.bytes[ranges[record]])
            }
            return LoadedMessages(buffers: [stream], messages: messages)
        }
        // Each record's place in its group's stream. Over raw buffers: this runs for every block a query
        // reads messages of, and the checked array accesses were a tenth of a phrase count at 10M lines.
        guard groups.count >= count else {
            throw .corruption(
                file: path, offset: blocks[loader.block].offset,
                reason: "block \(loader.block): \(groups.count) message groups for \(count) records")
        }
        var sizes = [Int](repeating: 0, count: groupCount)
        var positions = [Int32](repeating: 0, count: count)
        var wanted = [Bool](repeating: rows == nil, count: groupCount)
        let valid = sizes.withUnsafeMutableBufferPointer { sizes in
            positions.withUnsafeMutableBufferPointer { positions in
                for record in 0..<count {
                    let group = groups[record]
                    guard group >= 0 && group < groupCount else { return false }
                    positions[record] = Int32(truncatingIfNeeded: sizes[group])
                    sizes[group] += 1
                }
                return true
            }
        }
        guard valid else {
            throw .corruption(
                file: path, offset: blocks[loader.block].offset,
                reason: "block \(loader.block): a record's message group is out of range")
        }
        for row in rows ?? [] where row >= 0 && row < count { wanted[groups[row]] = true }
        var buffers: [StreamBuffer] = []
        var ranges = [[Range<Int>]](repeating: [], count: groupCount)
        var bases = [UnsafeRawBufferPointer](repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: groupCount)
        // With `headsOnly`: which members of each group read have a rest.
        var groupHasRest = [[Bool]](repeating: [], count: groupCount)
        for group in 0..<groupCount where wanted[group] {
            let stream = try loader.stream(messageStream(group, names: nameCount))
            buffers.append(stream)
            guard streamsPerMessageGroup == 2 else {
                ranges[group] = try loader.decoding { () throws(DecodeError) in
                    try BlockCodec.messageRanges(stream.bytes, count: sizes[group])
                }
                bases[group] = stream.bytes
                continue
            }
            let heads = try loader.decoding { () throws(DecodeError) in
                try HeadsAndRests.heads(stream.bytes, count: sizes[group])
            }
            if headsOnly || !heads.hasRest.contains(true) {
                ranges[group] = heads.ranges
                bases[group] = stream.bytes
                groupHasRest[group] = heads.hasRest
                continue
            }
            let restStream = try loader.stream(messageStream(group, names: nameCount, rests: true))
            let rests = try loader.decoding { () throws(DecodeError) in
                try HeadsAndRests.rests(restStream.bytes, hasRest: heads.hasRest)
            }
            let joined = StreamBuffer.joining(heads: stream.bytes, heads.ranges, rests: restStream.bytes, rests)
            ranges[group] = joined.ranges
            bases[group] = joined.buffer.bytes
            buffers.append(joined.buffer)
        }
        func place(_ record: Int) {
            let group = groups[record]
            messages[record] = UnsafeRawBufferPointer(rebasing: bases[group][ranges[group][Int(positions[record])]])
        }
        if let rows {
            for row in rows where row >= 0 && row < count { place(row) }
        } else {
            for record in 0..<count { place(record) }
        }
        return LoadedMessages(buffers: buffers, messages: messages, positions: positions, groupHasRest: groupHasRest)
    }

    /// What `loadMessages` read: the streams (alive as long as the bytes are used), each record's message
    /// bytes (or first line), and where each record lies in its group; with `headsOnly`, which members of
    /// each group read have a rest.
    private struct LoadedMessages {
        var buffers: [StreamBuffer]
        var messages: [UnsafeRawBufferPointer]
        var positions: [Int32] = []
        var groupHasRest: [[Bool]] = []
    }

    /// Calls `body` with one decompressed, verified stream of a block (a version 1 or 2 block's whole
    /// payload is its stream 0).
    private func withStream<T>(
        _ stream: Int, of index: Int, _ body: (UnsafeRawBufferPointer) throws(DecodeError) -> T
    ) throws(StorageError) -> T {
        var loader = BlockLoader(segment: self, block: index)
        let buffer = try loader.stream(stream)
        return try loader.decoding { () throws(DecodeError) in
            try withExtendedLifetime(buffer) { () throws(DecodeError) in try body(buffer.bytes) }
        }
    }

    /// Loads a block's streams from the block cache, or reads them from the file: a small block whole, a
    /// larger one's table and then only the streams asked (a regex over one service's messages needs two
    /// streams of thirty). Checks what it reads and decompresses what is asked.
    struct BlockLoader {
        let segment: SegmentReader
        let block: Int
        /// The whole stored block, when it was read whole.
        private var stored: [UInt8]?
        private var table: BlockStreamTable?
        /// A stored block up to this size is read in one go; beyond it, the table and each stream apart.
        static let wholeReadBytes = 16384
        /// The bytes read first for a table (3 + names + groups entries of ~12 bytes fit in most blocks).
        static let tablePrefixBytes = 2048

        /// What a table of `streams` entries takes at most while each stream is under 4 GiB: the count,
        /// then per entry a codec byte, two varints of at most 5 bytes and a checksum.
        static func maxTableBytes(streams: Int) -> Int { 10 + streams * 15 }

        /// Whether streams read from the file go into the block cache (else they are offered as a scan's).
        let caches: Bool
        /// Whether the reader needs most of the block's streams (whole records): then the block is read in
        /// one go, not a `pread` per stream.
        let wantsMost: Bool

        init(segment: SegmentReader, block: Int, caches: Bool = true, wantsMost: Bool = false) {
            self.segment = segment
            self.block = block
            self.caches = caches
            self.wantsMost = wantsMost
        }

        mutating func stream(_ stream: Int) throws(StorageError) -> StreamBuffer {
            if let cached = BlockCache.shared.stream(reader: segment.cacheID, block: block, stream: stream) {
                return cached
            }
            let info = segment.blocks[block]
            let buffer: StreamBuffer
            if segment.version >= 3 {
                if table == nil { try loadTable() }
                let table = self.table!
                guard stream < table.entries.count else {
                    throw .corruption(
                        file: segment.path, offset: info.offset,
                        reason: "block \(block): stream \(stream) asked of a block of \(table.entries.count)")
                }
                let range = table.entries[stream].range
                // The stream's own bytes, unless the whole block is at hand.
                let own =
                    stored == nil ? try segment.file.read(at: info.offset + range.lowerBound, count: range.count) : nil
                // `withUnsafeBytes` rethrows untyped errors: the decode error travels back as a Result.
                let result = (own ?? stored!).withUnsafeBytes { (bytes) -> Result<StreamBuffer, DecodeError> in
                    let streamBytes = own == nil ? UnsafeRawBufferPointer(rebasing: bytes[range]) : bytes
                    do throws(DecodeError) {
                        return .success(try table.stream(stream, storedBytes: streamBytes))
                    } catch {
                        return .failure(error)
                    }
                }
                buffer = try decoding { () throws(DecodeError) in try result.get() }
            } else {
                let whole = try segment.file.read(at: info.offset, count: info.storedLength)
                let result = whole.withUnsafeBytes { (stored) -> Result<StreamBuffer, DecodeError> in
                    guard CRC32C.checksum(stored) == info.checksum else {
                        return .failure(.malformed("checksum mismatch", at: 0))
                    }
                    do throws(DecodeError) {
                        return .success(
                            try StreamBuffer.decompressing(stored, codec: info.codec, expectedSize: info.payloadLength))
                    } catch {
                        return .failure(error)
                    }
                }
                buffer = try decoding { () throws(DecodeError) in try result.get() }
            }
            if caches {
                BlockCache.shared.insert(buffer, reader: segment.cacheID, block: block, stream: stream)
            } else {
                BlockCache.shared.offerScanned(buffer, reader: segment.cacheID, block: block, stream: stream)
            }
            return buffer
        }

        /// Reads and checks the block's table: from the whole block when it is small, else from its first
        /// bytes (all of it when the table runs past them).
        private mutating func loadTable() throws(StorageError) {
            let info = segment.blocks[block]
            var prefixLength =
                info.storedLength <= Self.wholeReadBytes || wantsMost
                ? info.storedLength : min(info.storedLength, Self.tablePrefixBytes)
            var prefix = try segment.file.read(at: info.offset, count: prefixLength)
            func parse(_ bytes: [UInt8]) -> BlockStreamTable? {
                bytes.withUnsafeBytes {
                    try? BlockStreamTable(
                        parsing: $0, storedLength: info.storedLength, payloadLength: info.payloadLength)
                }
            }
            var parsed = parse(prefix)
            // A table longer than the prefix (a block with many field names, and two streams per message
            // group in version 5): read as much as its stream count says it may take, before falling
            // back to the whole block (which cost a phrase count twice its time when tables grew past it).
            if parsed == nil && prefixLength < info.storedLength,
                let streamCount = prefix.withUnsafeBytes({ bytes -> Int? in
                    var reader = ByteReader(bytes)
                    return (try? reader.readVarint()).map { Int(min($0, UInt64(Int32.max))) }
                }),
                Self.maxTableBytes(streams: streamCount) > prefixLength
            {
                prefixLength = min(info.storedLength, Self.maxTableBytes(streams: streamCount))
                prefix = try segment.file.read(at: info.offset, count: prefixLength)
                parsed = parse(prefix)
            }
            if parsed == nil && prefixLength < info.storedLength {
                prefixLength = info.storedLength
                prefix = try segment.file.read(at: info.offset, count: prefixLength)
                parsed = parse(prefix)
            }
            if prefixLength == info.storedLength { stored = prefix }
            // The directory's checksum covers the table; a table that does not parse is damaged too (the
            // directory it is checked against has its own checksum).
            let valid =
                parsed.map { table in
                    prefix.withUnsafeBytes {
                        CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<table.tableLength])) == info.checksum
                    }
                } ?? false
            guard valid else {
                throw .corruption(
                    file: segment.path, offset: info.offset, reason: "block \(block): checksum mismatch")
            }
            table = parsed
        }

        /// Checks the block has `count` streams, when its table was read (streams from the cache were
        /// checked when they were read).
        func checkStreamCount(_ count: Int, names: Int) throws(StorageError) {
            guard let table, table.entries.count != count else { return }
            throw .corruption(
                file: segment.path, offset: segment.blocks[block].offset,
                reason: "block \(block) has \(table.entries.count) streams, not \(count) (for \(names) field names)")
        }

        /// `body` with a decode error reported as corruption of this block.
        func decoding<T>(_ body: () throws(DecodeError) -> T) throws(StorageError) -> T {
            do {
                return try body()
            } catch {
                throw .corruption(
                    file: segment.path, offset: segment.blocks[block].offset,
                    reason: "block \(block): \(error.reason)")
            }
        }

        /// Decodes stream `stream` with `body`.
        mutating func decoding<T>(
            _ stream: Int, _ body: (UnsafeRawBufferPointer) throws(DecodeError) -> T
        ) throws(StorageError) -> T {
            let buffer = try self.stream(stream)
            return try decoding { () throws(DecodeError) in
                try withExtendedLifetime(buffer) { () throws(DecodeError) in try body(buffer.bytes) }
            }
        }
    }
}

/// Each record's message group in a block: the block cache's byte per record as it is (a copy into an
/// `[Int]` per block read was a tenth of a message scan), or numbers decoded from the block.
struct MessageGroupNumbers {
    /// Keeps `narrow` alive.
    private let owner: StreamBuffer?
    private let narrow: UnsafeRawBufferPointer?
    private let wide: [Int]
    let count: Int

    /// From the block cache's blob: two UInt32 counts, then a byte per record.
    init(cached: StreamBuffer) {
        owner = cached
        narrow = UnsafeRawBufferPointer(rebasing: cached.bytes[8...])
        wide = []
        count = cached.bytes.count - 8
    }

    init(_ groups: [Int]) {
        owner = nil
        narrow = nil
        wide = groups
        count = groups.count
    }

    @inline(__always)
    subscript(record: Int) -> Int {
        if let narrow { return Int(narrow[record]) }
        return wide[record]
    }
}
