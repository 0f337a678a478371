// See docs/wal-format.md

/// Reads back a WAL file after a restart.
package enum WALReader {
    package struct Replay {
        package var records: [LogRecord]
        /// Bytes past the last whole frame: a write torn by the crash, never acknowledged.
        package var discardedTailBytes: Int
        /// Set when a frame in the middle failed its checksum; frames after it are not trusted.
        package var corruptionOffset: Int?
    }

    static func replay(path: String) throws(StorageError) -> Replay {
        let bytes = try DurableFile.readAll(path)
        var result: Result<Replay, StorageError> = .failure(.closed)
        bytes.withUnsafeBytes { raw in
            result = Result { () throws(StorageError) in try replay(bytes: raw, path: path) }
        }
        return try result.get()
    }

    package static func replay(bytes raw: UnsafeRawBufferPointer, path: String) throws(StorageError) -> Replay {
        var reader = ByteReader(raw)
        do {
            guard raw.count >= WALFormat.headerSize else {
                // A crash between creating the file and writing its header: nothing was acknowledged in it.
                return Replay(records: [], discardedTailBytes: raw.count, corruptionOffset: nil)
            }
            guard try reader.readUInt64() == WALFormat.magic else {
                throw StorageError.corruption(file: path, offset: 0, reason: "bad WAL magic number")
            }
            let version = try reader.readUInt32()
            guard version <= WALFormat.version else {
                throw StorageError.unsupportedVersion(file: path, version: version)
            }
            try reader.skip(4)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError.corruption(file: path, offset: reader.offset, reason: "WAL header")
        }

        var records: [LogRecord] = []
        while reader.remaining >= WALFormat.frameHeaderSize {
            let frameStart = reader.offset
            do {
                let length = Int(try reader.readUInt32())
                let checksum = try reader.readUInt32()
                guard length <= StorageLimits.maxWALFrameBytes else {
                    return Replay(
                        records: records, discardedTailBytes: raw.count - frameStart, corruptionOffset: frameStart)
                }
                guard length <= reader.remaining else {
                    return Replay(records: records, discardedTailBytes: raw.count - frameStart, corruptionOffset: nil)
                }
                let payload = try reader.readByteSlice(count: length)
                guard CRC32C.checksum(payload) == checksum else {
                    // The last frame of a file may be torn by a crash; anything earlier is corruption.
                    let isTail = reader.isAtEnd
                    return Replay(
                        records: records, discardedTailBytes: raw.count - frameStart,
                        corruptionOffset: isTail ? nil : frameStart)
                }
                var frame = ByteReader(payload)
                let count = try frame.readLength()
                var decoded: [LogRecord] = []
                decoded.reserveCapacity(count)
                for _ in 0..<count { decoded.append(try frame.readRecordRow()) }
                records.append(contentsOf: decoded)
            } catch {
                return Replay(
                    records: records, discardedTailBytes: raw.count - frameStart, corruptionOffset: frameStart)
            }
        }
        return Replay(records: records, discardedTailBytes: reader.remaining, corruptionOffset: nil)
    }
}
