import CCRC32C

/// CRC-32C (Castagnoli), the checksum of every block, footer and WAL frame.
///
/// Chosen over CRC-32 for its better error detection on storage; LevelDB and RocksDB use it too; x86-64
/// processors compute it with one instruction per eight bytes (SSE 4.2), used when present. Otherwise
/// it is computed eight bytes at a time ("slicing-by-8": eight tables, one per byte position): every WAL
/// commit checksums every record it writes, and a byte at a time was a quarter of the commit thread's
/// time in a profile.
enum CRC32C {
    static let usesHardware = ccrc32c_hardware_available() != 0

    /// Table `k` (entries `k * 256 ..< (k + 1) * 256`) advances the CRC past a byte followed by `k` zeros.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 { crc = (crc & 1) == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            tables[index] = crc
        }
        for slice in 1..<8 {
            for index in 0..<256 {
                let previous = tables[(slice - 1) * 256 + index]
                tables[slice * 256 + index] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        if usesHardware {
            return ccrc32c_hardware_update(0xFFFF_FFFF, base.assumingMemoryBound(to: UInt8.self), bytes.count)
                ^ 0xFFFF_FFFF
        }
        return softwareChecksum(bytes)
    }

    /// The tables' result, the same as the instruction's (tests compare the two).
    static func softwareChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        var crc: UInt32 = 0xFFFF_FFFF
        tables.withUnsafeBufferPointer { table in
            var offset = 0
            while offset + 8 <= bytes.count {
                let word =
                    UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                    ^ UInt64(crc)
                crc =
                    table[7 * 256 + Int(word & 0xFF)] ^ table[6 * 256 + Int((word >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((word >> 16) & 0xFF)] ^ table[4 * 256 + Int((word >> 24) & 0xFF)]
                    ^ table[3 * 256 + Int((word >> 32) & 0xFF)] ^ table[2 * 256 + Int((word >> 40) & 0xFF)]
                    ^ table[1 * 256 + Int((word >> 48) & 0xFF)] ^ table[Int(word >> 56)]
                offset += 8
            }
            while offset < bytes.count {
                crc = table[Int((crc ^ UInt32(bytes[offset])) & 0xFF)] ^ (crc >> 8)
                offset += 1
            }
        }
        return crc ^ 0xFFFF_FFFF
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
