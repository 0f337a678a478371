// See docs/wal-format.md
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends frames of records to one WAL file. Not thread-safe: the store's commit thread owns it.
final class WALWriter {
    let generation: UInt64
    let path: String
    private var descriptor: Int32
    /// Bytes of the file known to be whole and fsynced. A failed write or fsync cuts the file back to
    /// it, so a frame torn by a full disk is never followed by frames that replay would then not reach.
    private var durableLength: off_t = 0

    static func fileName(generation: UInt64) -> String {
        let hex = String(generation, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex + "." + WALFormat.fileExtension
    }

    static func generation(ofFileName name: String) -> UInt64? {
        guard name.hasSuffix("." + WALFormat.fileExtension) else { return nil }
        return UInt64(name.dropLast(WALFormat.fileExtension.count + 1), radix: 16)
    }

    init(directory: String, generation: UInt64) throws(StorageError) {
        self.generation = generation
        path = directory + "/" + WALWriter.fileName(generation: generation)
        descriptor = try DurableFile.create(path)
        var header = ByteWriter()
        header.writeUInt64(WALFormat.magic)
        header.writeUInt32(WALFormat.version)
        header.writeUInt32(0)
        do {
            try DurableFile.writeAll(header.bytes, to: descriptor, path: path)
            try sync()
            try DurableFile.syncDirectory(containing: path)
        } catch {
            // No half-written header is left for replay to trip on; the caller tries again later.
            close(descriptor)
            unlink(path)
            throw error
        }
    }

    /// Writes one frame holding `records`. Not durable until `sync()` returns.
    func append(_ records: [LogRecord]) throws(StorageError) {
        try append(batches: [records])
    }

    /// The records of several writers' batches as one frame (one group commit).
    func append(batches: [[LogRecord]]) throws(StorageError) {
        var frame = ByteWriter()
        try append(batches: batches, buildingIn: &frame)
    }

    /// The same, built in `frame`, whose memory the caller keeps for the next frame.
    func append(batches: [[LogRecord]], buildingIn frame: inout ByteWriter) throws(StorageError) {
        let count = batches.reduce(0) { $0 + $1.count }
        // The frame's header is filled in once the payload after it is known: one buffer, no copy.
        frame.removeAll()
        frame.reserveCapacity(count * 400 + WALFormat.frameHeaderSize)
        frame.writeUInt32(0)
        frame.writeUInt32(0)
        frame.writeVarint(count)
        for records in batches {
            // Through a buffer pointer: iterating the array copied every record.
            records.withUnsafeBufferPointer { records in
                for index in records.indices { frame.writeRecordRow(records[index]) }
            }
        }
        frame.fillFrameHeader()
        do {
            try DurableFile.writeAll(frame.bytes, to: descriptor, path: path)
        } catch {
            rollBack()
            throw error
        }
    }

    func sync() throws(StorageError) {
        do {
            try DurableFile.sync(descriptor, path: path, operation: "fsync WAL")
        } catch {
            rollBack()
            throw error
        }
        durableLength = lseek(descriptor, 0, SEEK_CUR)
    }

    /// Drops what was written since the last successful sync. Those records were never acknowledged.
    private func rollBack() {
        _ = ftruncate(descriptor, durableLength)
        _ = lseek(descriptor, durableLength, SEEK_SET)
    }

    deinit { close(descriptor) }
}
